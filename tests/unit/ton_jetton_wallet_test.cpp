// The jetton master's get_wallet_address (adapters/ton_jetton_wallet.h): the owner's address as
// a slice argument, and the wallet read back from the answer, on the sender and jetton wallet of
// the real recorded transfer (tests/fixtures/chains/ton-jetton-transfers.json: the USDT master
// derived 0:B7F5CD75... for 0:1F5806C7...).
#include <gtest/gtest.h>

#include "adapters/ton_jetton_wallet.h"

namespace instamarket {
namespace {

constexpr char kSender[] = "0:1f5806c73d03bbc96eb7eebf16067f1f2e8e270cfa16d57001aa9eaf7456f008";
constexpr char kSendersWallet[] =
    "0:b7f5cd75f68a8f91a07e7e203cfc429f7a33f6e3f232282344c8a154b2f5ec7c";
// kSendersWallet as an address cell, made by an independent Python encoder.
constexpr char kSendersWalletCell[] =
    "te6ccgEBAQEAJAAAQ4AW/rmuvtFR8jQPz8QHn4hT70Z+3H5GRQRomRQqll69j5A=";

nlohmann::json Answer(const std::string& type, const std::string& value, int exit_code = 0) {
  return {{"gas_used", 2874},
          {"exit_code", exit_code},
          {"stack", {{{"type", type}, {"value", value}}}}};
}

TEST(TonJettonWallet, TheOwnersAddressIsASliceOfOneCell) {
  EXPECT_EQ(TonAddressSliceBoc(kSendersWallet), kSendersWalletCell);
  auto back = ParseTonWalletAddress(Answer("slice", TonAddressSliceBoc(kSender)));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, kSender);
  std::string masterchain = "-1:" + std::string(62, '0') + "01";
  back = ParseTonWalletAddress(Answer("cell", TonAddressSliceBoc(masterchain)));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, masterchain);
}

TEST(TonJettonWallet, ReadsTheWalletFromTheAnswer) {
  auto wallet = ParseTonWalletAddress(Answer("cell", kSendersWalletCell));
  ASSERT_TRUE(wallet.ok()) << wallet.error().message;
  EXPECT_EQ(*wallet, kSendersWallet);
}

TEST(TonJettonWallet, AFailedGetMethodIsNotAJettonMaster) {
  auto wallet = ParseTonWalletAddress(Answer("cell", kSendersWalletCell, 11));
  ASSERT_FALSE(wallet.ok());
  EXPECT_EQ(wallet.error().code, ErrorCode::kFailedPrecondition);
}

TEST(TonJettonWallet, GarbageIsUnavailable) {
  for (const nlohmann::json& body :
       {nlohmann::json::object(), nlohmann::json{{"exit_code", 0}, {"stack", nlohmann::json::array()}},
        Answer("num", "0x1"), Answer("cell", "not base64!"), Answer("cell", "AAAA"),
        // A cell of 8 bits: no address in it.
        Answer("cell", "te6ccgEBAQEAAwAAAgE="),
        // addr_none$00 instead of addr_std$10.
        Answer("cell", "te6ccgEBAQEAAwAAASA=")}) {
    auto wallet = ParseTonWalletAddress(body);
    ASSERT_FALSE(wallet.ok()) << body.dump();
    EXPECT_EQ(wallet.error().code, ErrorCode::kUnavailable) << body.dump();
  }
}

}  // namespace
}  // namespace instamarket
