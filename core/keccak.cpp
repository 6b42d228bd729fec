#include "core/keccak.h"

#include <cryptopp/keccak.h>

namespace instamarket {

std::string Keccak256(std::string_view data) {
  CryptoPP::Keccak_256 hash;
  hash.Update(reinterpret_cast<const CryptoPP::byte*>(data.data()), data.size());
  std::string digest(CryptoPP::Keccak_256::DIGESTSIZE, '\0');
  hash.Final(reinterpret_cast<CryptoPP::byte*>(digest.data()));
  return digest;
}

}  // namespace instamarket
