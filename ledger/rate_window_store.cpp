#include "ledger/rate_window_store.h"

#include <charconv>
#include <string>

#include "ledger/pg_pool.h"

namespace instamarket {
namespace {

const PipelinedStatement kRateAdmit{
    "rate_admit", "SELECT granted, remaining, reset_ms FROM rate_admit($1, $2, $3, $4, $5)"};

Error Malformed(const std::string& why) {
  return MakeError(ErrorCode::kInternal, "rate_admit: " + why);
}

template <class T>
bool ParseNumber(const std::optional<std::string>& text, T& out) {
  if (!text) return false;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), out);
  return ec == std::errc() && end == text->data() + text->size();
}

}  // namespace

RateWindowStore::RateWindowStore(std::shared_ptr<PgPool> pool) : pool_(std::move(pool)) {
  pool_->Prepare(kRateAdmit.name, kRateAdmit.sql);
}

const PipelinedStatement* RateWindowStore::AdmitStatement() { return &kRateAdmit; }

PipelinedRead RateWindowStore::AdmitRead(const RateAsk& ask) {
  return PipelinedRead{
      &kRateAdmit,
      {std::to_string(ask.key_id), std::to_string(ask.wanted), std::to_string(ask.limit),
       std::to_string(ask.window_ms), std::to_string(ask.hold_ms)}};
}

Result<RateGrant> RateWindowStore::FromRows(const std::vector<TextRow>& rows) {
  if (rows.size() != 1 || rows[0].size() != 3) return Malformed("unexpected result shape");
  RateGrant grant;
  if (!ParseNumber(rows[0][0], grant.granted) || !ParseNumber(rows[0][1], grant.remaining) ||
      !ParseNumber(rows[0][2], grant.reset_ms)) {
    return Malformed("unexpected values");
  }
  return grant;
}

Result<RateGrant> RateWindowStore::Admit(const RateAsk& ask) {
  return pool_->With<RateGrant>([&](pqxx::connection& conn) -> Result<RateGrant> {
    pqxx::nontransaction tx(conn);
    auto rows = tx.exec_prepared(kRateAdmit.name, ask.key_id, ask.wanted, ask.limit, ask.window_ms,
                                 ask.hold_ms);
    if (rows.size() != 1) return Malformed("unexpected result shape");
    return RateGrant{rows[0][0].as<int>(), rows[0][1].as<int>(), rows[0][2].as<std::int64_t>()};
  });
}

}  // namespace instamarket
