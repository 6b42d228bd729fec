// SendWebhook through the real libcurl path against a canary on loopback that counts TCP
// connections: a URL that points inward, in whatever spelling, must not reach it at all (the
// old after-connect check still connected, and only then aborted).

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "webhooks/webhook_sender.h"
#include "webhooks/webhook_target.h"

namespace instamarket {
namespace {

// Listens on 127.0.0.1 and [::1] (one port, when IPv6 loopback exists), counts every accepted
// connection, and answers each request with `answer`. A connection curl opens and drops at once
// may still wait in the accept queue when SendWebhook returns, so connections() first sends a
// probe through each listener and waits until the canary has accepted it: every connection
// queued before it has been counted then.
class LoopbackCanary {
 public:
  explicit LoopbackCanary(std::string answer = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
      : answer_(std::move(answer)) {
    for (int tries = 0; tries < 20 && listeners_.size() < 2; ++tries) {
      CloseAll();
      int v4 = Listen(AF_INET, 0);
      if (v4 < 0) continue;
      listeners_.push_back(v4);
      sockaddr_in bound{};
      socklen_t length = sizeof bound;
      getsockname(v4, reinterpret_cast<sockaddr*>(&bound), &length);
      port_ = ntohs(bound.sin_port);
      int v6 = Listen(AF_INET6, port_);
      if (v6 >= 0) listeners_.push_back(v6);
      if (v6 < 0 && !HasIpv6Loopback()) break;  // IPv4 only on this machine
    }
    families_ = {AF_INET};
    if (listeners_.size() == 2) families_.push_back(AF_INET6);
    thread_ = std::thread([this] { Serve(); });
  }

  ~LoopbackCanary() {
    stop_ = true;
    thread_.join();
    CloseAll();
  }

  int port() const { return port_; }

  // Connections accepted so far, the probes not counted.
  int connections() {
    for (int family : families_) Probe(family);
    std::lock_guard<std::mutex> lock(mutex_);
    return static_cast<int>(accepted_.size()) - probes_;
  }

 private:
  static bool HasIpv6Loopback() {
    int probe = socket(AF_INET6, SOCK_STREAM, 0);
    if (probe < 0) return false;
    sockaddr_in6 address{};
    address.sin6_family = AF_INET6;
    address.sin6_addr = in6addr_loopback;
    bool ok = bind(probe, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    close(probe);
    return ok;
  }

  static int Listen(int family, int port) {
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    int bound = -1;
    if (family == AF_INET) {
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      address.sin_port = htons(static_cast<std::uint16_t>(port));
      bound = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    } else {
      setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
      sockaddr_in6 address{};
      address.sin6_family = AF_INET6;
      address.sin6_addr = in6addr_loopback;
      address.sin6_port = htons(static_cast<std::uint16_t>(port));
      bound = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    }
    if (bound != 0 || listen(fd, 16) != 0) {
      close(fd);
      return -1;
    }
    return fd;
  }

  // Connects to the listener of `family` and waits (up to 2 s) until the canary accepted it.
  void Probe(int family) {
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_storage address{};
    socklen_t length = 0;
    if (family == AF_INET) {
      auto& v4 = reinterpret_cast<sockaddr_in&>(address);
      v4.sin_family = AF_INET;
      v4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      v4.sin_port = htons(static_cast<std::uint16_t>(port_));
      length = sizeof v4;
    } else {
      auto& v6 = reinterpret_cast<sockaddr_in6&>(address);
      v6.sin6_family = AF_INET6;
      v6.sin6_addr = in6addr_loopback;
      v6.sin6_port = htons(static_cast<std::uint16_t>(port_));
      length = sizeof v6;
    }
    std::size_t seen = 0;  // connections accepted before the probe connects cannot be it
    {
      std::lock_guard<std::mutex> lock(mutex_);
      seen = accepted_.size();
    }
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&address), length), 0) << "probe";
    std::string self = PeerText(fd, getsockname);
    close(fd);  // the canary reads end-of-stream and answers no one
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (std::chrono::steady_clock::now() < deadline) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (std::find(accepted_.begin() + static_cast<std::ptrdiff_t>(seen), accepted_.end(),
                      self) != accepted_.end()) {
          ++probes_;
          return;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ADD_FAILURE() << "the canary did not accept its probe";
  }

  // "address port" of one end of a connected socket.
  static std::string PeerText(int fd, int (*which)(int, sockaddr*, socklen_t*)) {
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    which(fd, reinterpret_cast<sockaddr*>(&address), &length);
    char text[INET6_ADDRSTRLEN] = {};
    int port = 0;
    if (address.ss_family == AF_INET) {
      auto& v4 = reinterpret_cast<sockaddr_in&>(address);
      inet_ntop(AF_INET, &v4.sin_addr, text, sizeof text);
      port = ntohs(v4.sin_port);
    } else {
      auto& v6 = reinterpret_cast<sockaddr_in6&>(address);
      inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof text);
      port = ntohs(v6.sin6_port);
    }
    return std::string(text) + " " + std::to_string(port);
  }

  void CloseAll() {
    for (int fd : listeners_) close(fd);
    listeners_.clear();
  }

  void Serve() {
    std::vector<pollfd> polled;
    for (int fd : listeners_) polled.push_back({fd, POLLIN, 0});
    while (!stop_) {
      if (poll(polled.data(), polled.size(), 20) <= 0) continue;
      for (auto& p : polled) {
        if ((p.revents & POLLIN) == 0) continue;
        int client = accept(p.fd, nullptr, nullptr);
        if (client < 0) continue;
        {
          std::lock_guard<std::mutex> lock(mutex_);
          accepted_.push_back(PeerText(client, getpeername));
        }
        Answer(client);
        close(client);
      }
    }
  }

  // Reads the request's head and its Content-Length body, then answers.
  void Answer(int client) {
    timeval limit{2, 0};
    setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    std::string request;
    char buffer[4096];
    std::size_t head_end = std::string::npos;
    std::size_t wanted = 0;
    while (head_end == std::string::npos || request.size() < head_end + 4 + wanted) {
      ssize_t got = recv(client, buffer, sizeof buffer, 0);
      if (got <= 0) return;
      request.append(buffer, static_cast<std::size_t>(got));
      if (head_end == std::string::npos && (head_end = request.find("\r\n\r\n")) != request.npos) {
        auto at = request.find("Content-Length: ");
        if (at != std::string::npos && at < head_end) wanted = std::stoul(request.substr(at + 16));
      }
    }
    send(client, answer_.data(), answer_.size(), MSG_NOSIGNAL);
  }

  std::string answer_;
  std::vector<int> listeners_;
  std::vector<int> families_;
  int port_ = 0;
  std::mutex mutex_;
  std::vector<std::string> accepted_;  // "peer-address peer-port" of each accepted connection
  int probes_ = 0;                     // how many of them were our own probes
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

AttemptResult Send(const std::string& url, bool allow_private) {
  WebhookDelivery delivery;
  delivery.id = 1;
  delivery.url = url;
  delivery.body = R"({"order_id":1})";
  delivery.secrets = {"whsec_test"};  // unsigned deliveries are not sent at all
  WebhookConfig config;
  config.timeout_ms = 3000;
  config.allow_private_addresses = allow_private;
  return SendWebhook(delivery, config, 1700000000);
}

struct Case {
  std::string url;
  std::string error;  // a part the stored error must hold: the refused address, named
};

void ExpectNoneReach(LoopbackCanary& canary, const std::vector<Case>& cases) {
  for (const auto& c : cases) {
    int before = canary.connections();
    AttemptResult result = Send(c.url, false);
    EXPECT_FALSE(result.delivered) << c.url;
    EXPECT_EQ(canary.connections(), before) << c.url << " reached the canary";
    EXPECT_NE(result.error.find(c.error), std::string::npos)
        << c.url << ": error \"" << result.error << "\" does not name " << c.error;
  }
}

TEST(WebhookConnectTest, TheCanaryCountsAnAllowedDelivery) {
  LoopbackCanary canary;
  std::string port = std::to_string(canary.port());
  AttemptResult result = Send("http://127.0.0.1:" + port + "/hook", true);
  EXPECT_TRUE(result.delivered) << result.error;
  EXPECT_EQ(canary.connections(), 1);
  result = Send("http://localhost:" + port + "/hook", true);  // allow_private still works
  EXPECT_TRUE(result.delivered) << result.error;
  EXPECT_EQ(canary.connections(), 2);
}

TEST(WebhookConnectTest, NoSpellingOfAnInwardAddressConnects) {
  LoopbackCanary canary;
  std::string port = ":" + std::to_string(canary.port());
  std::vector<Case> cases = {
      {"http://127.0.0.1" + port + "/", "127.0.0.1"},
      {"http://2130706433" + port + "/", "127.0.0.1"},
      {"http://0177.0.0.1" + port + "/", "127.0.0.1"},
      {"http://0x7f.0.0.1" + port + "/", "127.0.0.1"},
      {"http://0x7f000001" + port + "/", "127.0.0.1"},
      {"http://127.1" + port + "/", "127.0.0.1"},
      {"http://0.0.0.0" + port + "/", "0.0.0.0"},
      {"http://0" + port + "/", "0.0.0.0"},
      {"http://[::ffff:127.0.0.1]" + port + "/", "::ffff:127.0.0.1"},
      {"http://[::127.0.0.1]" + port + "/", "::127.0.0.1"},
      {"http://[::]" + port + "/", "::"},
      {"http://[::1]" + port + "/", "::1"},
      {"http://[2002:7f00:1::]" + port + "/", "2002:7f00:1::"},
      {"http://[64:ff9b::7f00:1]" + port + "/", "64:ff9b::7f00:1"},
      {"http://localhost" + port + "/", "localhost"},
      {"http://LocalHost." + port + "/", "localhost"},
      {"http://canary.localhost" + port + "/", "localhost"},
  };
  ExpectNoneReach(canary, cases);
}

// Names (other than localhost) that this machine resolves to loopback only, from /etc/hosts
// and its own host name: the URL check cannot know them, so only the connect check stops them.
std::vector<std::string> NamesResolvingToLoopback() {
  std::set<std::string> candidates;
  std::ifstream hosts("/etc/hosts");
  for (std::string line; std::getline(hosts, line);) {
    std::istringstream words(line.substr(0, line.find('#')));
    std::string address, name;
    if (!(words >> address) || address.rfind("127.", 0) != 0) continue;
    while (words >> name) candidates.insert(name);
  }
  char self[256] = {};
  if (gethostname(self, sizeof self - 1) == 0 && self[0] != '\0') candidates.insert(self);
  std::vector<std::string> names;
  for (const auto& name : candidates) {
    if (!CheckWebhookUrl("http://" + name + "/", false).ok()) continue;  // localhost and kin
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (getaddrinfo(name.c_str(), nullptr, &hints, &found) != 0) continue;
    bool loopback_only = true;
    for (addrinfo* a = found; a; a = a->ai_next) {
      char text[INET6_ADDRSTRLEN] = {};
      if (a->ai_family == AF_INET) {
        inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(a->ai_addr)->sin_addr, text,
                  sizeof text);
        loopback_only = loopback_only && std::string(text).rfind("127.", 0) == 0;
      } else {
        inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(a->ai_addr)->sin6_addr, text,
                  sizeof text);
        loopback_only = loopback_only && std::string(text) == "::1";
      }
    }
    freeaddrinfo(found);
    if (loopback_only) names.push_back(name);
  }
  return names;
}

TEST(WebhookConnectTest, NamesResolvingInwardAreRefusedBeforeConnecting) {
  std::vector<std::string> names = NamesResolvingToLoopback();
  if (names.empty()) GTEST_SKIP() << "no name other than localhost resolves to loopback here";
  LoopbackCanary canary;
  std::vector<Case> cases;
  for (const auto& name : names) {
    cases.push_back({"http://" + name + ":" + std::to_string(canary.port()) + "/hook",
                     "refused to connect to non-public address 127."});
  }
  ExpectNoneReach(canary, cases);
  // The same names do reach the canary when private addresses are allowed: the names are real.
  for (const auto& name : names) {
    AttemptResult result =
        Send("http://" + name + ":" + std::to_string(canary.port()) + "/hook", true);
    EXPECT_TRUE(result.delivered) << name << ": " << result.error;
  }
  EXPECT_EQ(canary.connections(), static_cast<int>(names.size()));
}

TEST(WebhookConnectTest, RedirectsAreNotFollowed) {
  LoopbackCanary target;
  LoopbackCanary redirector("HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:" +
                            std::to_string(target.port()) + "/\r\nContent-Length: 0\r\n\r\n");
  AttemptResult result = Send("http://127.0.0.1:" + std::to_string(redirector.port()) + "/", true);
  EXPECT_FALSE(result.delivered);
  EXPECT_EQ(result.http_status, 302);
  EXPECT_EQ(redirector.connections(), 1);
  EXPECT_EQ(target.connections(), 0);
}

}  // namespace
}  // namespace instamarket
