#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace instamarket {

class PgPool;
class SecretBox;

// One webhook POST to make (or made): the outbox row, with the secret of the key it is for.
// It is about one order (order events) or one top-up intent (topup.* events).
struct WebhookDelivery {
  std::int64_t id = 0;
  std::optional<std::int64_t> order_id;
  std::optional<std::string> topup_id;
  std::int64_t key_id = 0;
  std::string url;
  std::string event;
  std::string body;
  std::string status;  // pending | delivered | failed
  int attempts = 0;    // made so far
  // The key's webhook signing secrets: the current one, then the previous one while its grace
  // period after a rotation lasts. Each signs the delivery.
  std::vector<std::string> secrets;
  std::string secret_error;  // why the current secret could not be opened: not sent then
  std::optional<std::string> last_error;
  std::optional<int> last_http_status;
  std::int64_t created_at = 0;
};

struct AttemptResult {
  bool delivered = false;  // a 2xx answer
  std::optional<int> http_status;
  std::string error;  // why not, when not delivered
};

// The webhook outbox. Deliveries are claimed with a lease (next_attempt_at moves forward), so
// several dispatchers (instances) never send one delivery at the same time, and one that dies
// mid-send is retried when the lease ends. A delivery that is final (delivered, or failed for
// good) keeps no items in its stored body. Thread-safe; blocking.
class WebhookStore {
 public:
  WebhookStore(std::shared_ptr<PgPool> pool, std::shared_ptr<const SecretBox> box);

  Result<std::vector<WebhookDelivery>> ClaimDue(int limit, std::chrono::milliseconds lease);
  // Records an attempt: delivered, or retried after `retry_after`, or failed for good when
  // `retry_after` is nullopt.
  Status RecordAttempt(std::int64_t id, const AttemptResult& result,
                       std::optional<std::chrono::milliseconds> retry_after);
  Result<std::vector<WebhookDelivery>> List(const std::optional<std::string>& status, int limit);
  // A failed delivery goes back to pending with a fresh attempt count; audited.
  Result<WebhookDelivery> Redeliver(std::int64_t id, const std::string& actor);

 private:
  std::shared_ptr<PgPool> pool_;
  std::shared_ptr<const SecretBox> box_;
};

}  // namespace instamarket
