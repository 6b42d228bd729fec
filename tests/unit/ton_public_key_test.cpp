// A TON wallet's public key (ChainAdapter::WalletPublicKey): the parser of toncenter's
// runGetMethod answer, and the TON adapter against the loopback fake (tests/e2e/fake_chain.py).

#include <gtest/gtest.h>
#include <signal.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "adapters/ton_adapter.h"

namespace instamarket {
namespace {

nlohmann::json Answer(nlohmann::json stack, int exit_code = 0) {
  return {{"gas_used", 589}, {"exit_code", exit_code}, {"stack", std::move(stack)}};
}

nlohmann::json Num(const std::string& value) { return {{"type", "num"}, {"value", value}}; }

TEST(TonPublicKey, ReadsTheNumberLeftPaddedAndLowercase) {
  const std::string key = "5f2c1b8e1d0c9a8b7f6e5d4c3b2a19080706050403020100ffeeddccbbaa9988";
  auto full = ParseTonPublicKey(Answer({Num("0x" + key)}));
  ASSERT_TRUE(full.ok()) << full.error().message;
  EXPECT_EQ(*full, key);
  // toncenter writes numbers without leading zeros, in either case.
  auto short_one = ParseTonPublicKey(Answer({Num("0x00ABCDEF")}));
  ASSERT_TRUE(short_one.ok()) << short_one.error().message;
  EXPECT_EQ(*short_one, std::string(58, '0') + "abcdef");
  // Exit code 1 is TVM's other success; the legacy ["num", "0x…"] pair is read too.
  auto legacy = ParseTonPublicKey(
      Answer(nlohmann::json::array({nlohmann::json::array({"num", "0x" + key})}), 1));
  ASSERT_TRUE(legacy.ok()) << legacy.error().message;
  EXPECT_EQ(*legacy, key);
}

TEST(TonPublicKey, AFailedGetMethodIsTheWalletsAnswer) {
  auto undeployed = ParseTonPublicKey(Answer(nlohmann::json::array(), -13));
  ASSERT_FALSE(undeployed.ok());
  EXPECT_EQ(undeployed.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(undeployed.error().message.find("exit code -13"), std::string::npos);
  EXPECT_NE(undeployed.error().message.find("not deployed"), std::string::npos);
}

TEST(TonPublicKey, GarbageIsRefused) {
  const std::vector<nlohmann::json> garbage = {
      nullptr,
      "0x1234",
      nlohmann::json::array(),
      nlohmann::json::object(),
      {{"exit_code", "0"}, {"stack", {Num("0x12")}}},
      Answer(nlohmann::json::array()),
      Answer(nullptr),
      Answer({"0x12"}),
      Answer({{{"type", "cell"}, {"value", "te6cckEBAQEAAgAAAEysuc0="}}}),
      Answer({Num("12")}),
      Answer({Num("0x")}),
      Answer({Num("0x0")}),
      Answer({Num("-0x12")}),
      Answer({Num("0x12g4")}),
      Answer({Num("0x1" + std::string(64, '0'))}),  // 257 bits
      Answer({Num("0x" + std::string(1 << 20, 'f'))}),
      Answer({{{"type", "num"}, {"value", 18}}}),
      Answer(nlohmann::json::array({nlohmann::json::array({"num"})})),
      Answer(nlohmann::json::array({nlohmann::json::array({"cell", "0x12"})})),
  };
  for (const auto& body : garbage) {
    auto key = ParseTonPublicKey(body);
    ASSERT_FALSE(key.ok()) << body.dump().substr(0, 200);
    EXPECT_EQ(key.error().code, ErrorCode::kUnavailable) << body.dump().substr(0, 200);
    EXPECT_LT(key.error().message.size(), 300u);
  }
}

// The fake chain in a python3 process of its own, with one wallet's key set; stopped by pid.
class FakeTonChain {
 public:
  FakeTonChain(const std::string& address, const std::string& key) {
    std::string script =
        "import os, sys, time; sys.path.insert(0, '" + std::string(INSTAMARKET_SOURCE_DIR) +
        "/tests/e2e'); import fake_chain; c = fake_chain.FakeChain().start(); "
        "c.ton_set_public_key('" +
        address + "', '" + key + "'); print(os.getpid(), c.url, flush=True); time.sleep(60)";
    pipe_ = popen(("exec python3 -c \"" + script + "\"").c_str(), "r");
    char line[256] = {};
    if (pipe_ && std::fgets(line, sizeof line, pipe_)) {
      char url[200] = {};
      if (std::sscanf(line, "%d %199s", &pid_, url) == 2) url_ = url;
    }
  }
  ~FakeTonChain() {
    if (pid_ > 0) kill(pid_, SIGTERM);
    if (pipe_) pclose(pipe_);
  }
  const std::string& url() const { return url_; }

 private:
  FILE* pipe_ = nullptr;
  int pid_ = 0;
  std::string url_;
};

TEST(TonPublicKey, TheAdapterAsksRunGetMethod) {
  const std::string wallet = "0:169c9367c01c8b4e1471962db32e99e3e4473aafb47e1a6a643a4177a6758f16";
  const std::string key = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
  FakeTonChain chain(wallet, key);
  ASSERT_FALSE(chain.url().empty()) << "the fake chain did not start (python3?)";
  NetworkConfig network;
  network.id = "usdt_ton";
  network.kind = "ton";
  network.rpc = {chain.url()};
  network.token = "0:b113a994b5024a16719f69139328eb759596c38a25f59028b146fecdc3621dfe";
  network.address = wallet;
  network.rpc_timeout_ms = 5000;
  auto adapter = MakeTonAdapter(network);
  ASSERT_TRUE(adapter.ok()) << adapter.error().message;

  auto found = (*adapter)->WalletPublicKey(wallet);
  ASSERT_TRUE(found.ok()) << found.error().message;
  EXPECT_EQ(*found, key);  // the fake drops the leading zeros; the adapter puts them back

  auto other = (*adapter)->WalletPublicKey(
      "0:0000000000000000000000000000000000000000000000000000000000000001");
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, ErrorCode::kFailedPrecondition) << other.error().message;

  auto garbage = (*adapter)->WalletPublicKey("not an address");
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace instamarket
