#include "adapters/solana_signature_listing.h"

#include "adapters/json_field.h"
#include "core/solana_address.h"

namespace instamarket {
namespace {

Error Refused(const std::string& why) {
  return MakeError(ErrorCode::kUnavailable, "getSignaturesForAddress: " + why);
}

}  // namespace

Result<std::vector<SolanaListedSignature>> ReadSignaturesPage(const nlohmann::json& page,
                                                              const std::string& account,
                                                              std::int64_t finalized_slot) {
  if (!page.is_array()) return Refused("not a list");
  std::vector<SolanaListedSignature> out;
  out.reserve(page.size());
  for (const auto& e : page) {
    const auto& signature = JsonField(e, "signature");
    const auto& slot = JsonField(e, "slot");
    if (!signature.is_string() || !slot.is_number_integer())
      return Refused("a signature entry without signature or slot");
    // Checked before anything is copied: a hostile entry may be huge.
    if (!IsSolanaSignature(signature.get_ref<const std::string&>()))
      return Refused("an entry whose signature is not a signature");
    const std::int64_t s = slot.get<std::int64_t>();
    if (s < 0 || s > finalized_slot)
      return Refused("an entry at slot " + std::to_string(s) + ", above the finalized slot " +
                     std::to_string(finalized_slot) + " (or negative)");
    out.push_back(SolanaListedSignature{account, signature.get<std::string>(), s,
                                        !JsonField(e, "err").is_null()});
  }
  return out;
}

Result<Unit> SolanaListingWindow::AddOlder(SolanaListedSignature s) {
  if (!held_.empty() && s.slot > held_.front().slot)
    return MakeError(ErrorCode::kUnavailable,
                     "unexpected Solana RPC reply: signatures not listed newest first");
  held_.push_front(std::move(s));
  if (held_.size() > cap_) {
    held_.pop_back();
    truncated_ = true;
  }
  return Unit{};
}

}  // namespace instamarket
