#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/result.h"
#include "ledger/pipelined_read.h"

namespace instamarket {

class PgPool;

// One request for admission slots of a key (migration 0007, rate_admit).
struct RateAsk {
  std::int64_t key_id = 0;
  int wanted = 1;     // slots asked for
  int limit = 0;      // admissions allowed per window
  int window_ms = 0;  // the sliding window
  int hold_ms = 0;    // slots may be used until this long after the grant (a lease); 0: at once
};

struct RateGrant {
  int granted = 0;            // 0..wanted, first come first served across every daemon
  int remaining = 0;          // free slots left in the window after this grant
  std::int64_t reset_ms = 0;  // until the oldest counted admission leaves the window
};

// The rate limit's state shared by every daemon on the database: per key, the admissions of the
// sliding window. The API asks through its pipelined connection (AdmitRead, FromRows) or, when
// that is not up, blocking through the pool (Admit). Thread-safe.
class RateWindowStore {
 public:
  explicit RateWindowStore(std::shared_ptr<PgPool> pool);

  static const PipelinedStatement* AdmitStatement();
  static PipelinedRead AdmitRead(const RateAsk& ask);
  static Result<RateGrant> FromRows(const std::vector<TextRow>& rows);

  Result<RateGrant> Admit(const RateAsk& ask);

 private:
  std::shared_ptr<PgPool> pool_;
};

}  // namespace instamarket
