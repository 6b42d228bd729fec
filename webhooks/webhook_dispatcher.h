#pragma once

#include <memory>

#include "config/config.h"
#include "ledger/webhook_store.h"

namespace instamarket {

class Runtime;

// Sends the webhook outbox: every 200 ms it claims due deliveries (with a lease, so instances
// never send one at the same time) and POSTs each on its own small thread pool, so a slow
// receiver (up to webhooks.timeout_ms) never holds a database thread. A failure is retried
// after webhooks.backoff_base_ms * 2^(n-1), up to webhooks.max_retries times, then marked
// failed for an admin to redeliver. At least once: a daemon that dies mid-send sends again
// when the lease ends, so receivers should ignore an X-Webhook-Id they have seen.
class WebhookDispatcher {
 public:
  WebhookDispatcher(const WebhookConfig& config, WebhookStore& store, Runtime& runtime);
  ~WebhookDispatcher();

  void Start();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace instamarket
