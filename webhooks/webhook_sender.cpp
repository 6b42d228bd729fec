#include "webhooks/webhook_sender.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <mutex>
#include <string>
#include <vector>

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

// Refuses, before its socket exists, every address curl is about to connect to that is not
// public: each address a name resolves to, IPv4 and IPv6, as curl tries them. The address
// judged is the one connected, so a name that resolves inward, or rebinds after the URL check,
// never gets a packet.
struct PublicOnly {
  std::vector<std::string> refused;  // the addresses not connected to, as text
};

// curl's address is a full sockaddr_in or sockaddr_in6 behind the sockaddr (its documentation
// says to cast it).
std::string AddressText(const curl_sockaddr& address) {
  char text[INET6_ADDRSTRLEN] = {};
  if (address.family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&address.addr)->sin_addr, text,
              sizeof text);
  } else if (address.family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&address.addr)->sin6_addr, text,
              sizeof text);
  }
  return text;
}

curl_socket_t OpenPublicSocket(void* clientp, curlsocktype purpose, curl_sockaddr* address) {
  auto* guard = static_cast<PublicOnly*>(clientp);
  std::string ip = AddressText(*address);
  if (purpose != CURLSOCKTYPE_IPCXN || !IsPublicAddress(ip)) {
    guard->refused.push_back(ip.empty() ? "of family " + std::to_string(address->family) : ip);
    return CURL_SOCKET_BAD;
  }
  return socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

std::string Joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
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
  PublicOnly guard;
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
  if (!config.allow_private_addresses) {
    curl_easy_setopt(curl, CURLOPT_OPENSOCKETFUNCTION, OpenPublicSocket);
    curl_easy_setopt(curl, CURLOPT_OPENSOCKETDATA, &guard);
  }
  CURLcode code = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (status > 0) result.http_status = static_cast<int>(status);
  // Refused addresses matter only when no public one answered (curl tries each in turn).
  if (status == 0 && !guard.refused.empty()) {
    result.error = "refused to connect to non-public address " + Joined(guard.refused);
    if (code != CURLE_COULDNT_CONNECT) result.error += std::string("; ") + curl_easy_strerror(code);
    return result;
  }
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
