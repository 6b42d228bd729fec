#include "webhooks/webhook_sender.h"

#include <curl/curl.h>

#include <mutex>

#include "core/crypto.h"
#include "webhooks/webhook_target.h"

namespace instamarket {
namespace {

constexpr std::size_t kMaxAnswerBytes = 64 * 1024;  // the answer is read only to be discarded

std::size_t Discard(char*, std::size_t size, std::size_t count, void* seen) {
  auto* total = static_cast<std::size_t*>(seen);
  *total += size * count;
  return *total > kMaxAnswerBytes ? 0 : size * count;
}

struct ConnectCheck {
  bool allow_private = false;
  std::string refused_ip;  // set when the connection was refused
};

int CheckConnectedAddress(void* clientp, char* primary_ip, char*, int, int) {
  auto* check = static_cast<ConnectCheck*>(clientp);
  if (check->allow_private || IsPublicAddress(primary_ip)) return CURL_PREREQFUNC_OK;
  check->refused_ip = primary_ip;
  return CURL_PREREQFUNC_ABORT;
}

}  // namespace

std::string WebhookSignature(std::string_view secret, std::int64_t delivery_id,
                             std::int64_t timestamp, std::string_view body) {
  std::string message = std::to_string(delivery_id) + "." + std::to_string(timestamp) + ".";
  message.append(body);
  return HmacSha256Hex(secret, message);
}

std::string WebhookSignatureHeader(const std::vector<std::string>& secrets,
                                   std::int64_t delivery_id, std::int64_t timestamp,
                                   std::string_view body) {
  std::string header;
  for (const auto& secret : secrets) {
    if (!header.empty()) header += ",";
    header += "v1=" + WebhookSignature(secret, delivery_id, timestamp, body);
  }
  return header;
}

AttemptResult SendWebhook(const WebhookDelivery& delivery, const WebhookConfig& config,
                          std::int64_t timestamp) {
  static std::once_flag curl_init;
  std::call_once(curl_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  AttemptResult result;
  if (delivery.secrets.empty()) {
    result.error = "not sent, cannot sign: " + delivery.secret_error;
    return result;
  }
  if (auto target = CheckWebhookUrl(delivery.url, config.allow_private_addresses); !target) {
    result.error = "url " + target.error().message;
    return result;
  }
  CURL* curl = curl_easy_init();
  if (!curl) {
    result.error = "cannot create a libcurl handle";
    return result;
  }
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Content-Type: application/json");
  headers = curl_slist_append(headers, "User-Agent: instamarketd-webhooks");
  headers = curl_slist_append(headers, ("X-Webhook-Id: " + std::to_string(delivery.id)).c_str());
  headers =
      curl_slist_append(headers, ("X-Webhook-Timestamp: " + std::to_string(timestamp)).c_str());
  headers = curl_slist_append(
      headers, ("X-Webhook-Signature: " +
                WebhookSignatureHeader(delivery.secrets, delivery.id, timestamp, delivery.body))
                   .c_str());
  headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip
  ConnectCheck check{config.allow_private_addresses, {}};
  std::size_t answer_bytes = 0;
  curl_easy_setopt(curl, CURLOPT_URL, delivery.url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(config.timeout_ms));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, delivery.body.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(delivery.body.size()));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Discard);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer_bytes);
  curl_easy_setopt(curl, CURLOPT_PREREQFUNCTION, CheckConnectedAddress);
  curl_easy_setopt(curl, CURLOPT_PREREQDATA, &check);
  CURLcode code = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (!check.refused_ip.empty()) {
    result.error = "refused to connect to non-public address " + check.refused_ip;
    return result;
  }
  if (status > 0) result.http_status = static_cast<int>(status);
  // An answer larger than we read is still an answer: judge it by its status.
  if (code != CURLE_OK && !(code == CURLE_WRITE_ERROR && status > 0)) {
    result.error = curl_easy_strerror(code);
    return result;
  }
  result.delivered = status >= 200 && status < 300;
  if (!result.delivered) result.error = "HTTP " + std::to_string(status);
  return result;
}

}  // namespace instamarket
