#include "core/secret_box.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "config/master_keys.h"

namespace instamarket {
namespace {

std::string Key(char fill) { return std::string(32, fill); }

TEST(SecretBoxTest, SealsAndOpensInItsContextOnly) {
  auto box = SecretBox::Create(Key('a')).value();
  std::string sealed = box.Seal("0123456789abcdef", "api_keys.hmac_secret:7");
  EXPECT_EQ(sealed.rfind("v1:" + box.current_key_id() + ":", 0), 0u);
  EXPECT_EQ(sealed.find("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(box.Open(sealed, "api_keys.hmac_secret:7").value(), "0123456789abcdef");
  // Moved to another key's row, or to the webhook column: does not open.
  EXPECT_FALSE(box.Open(sealed, "api_keys.hmac_secret:8").ok());
  EXPECT_FALSE(box.Open(sealed, "api_keys.webhook_secret:7").ok());
  // Two seals of one secret differ (random nonce): equal secrets are not visible as such.
  EXPECT_NE(box.Seal("x", "c"), box.Seal("x", "c"));
}

TEST(SecretBoxTest, RefusesAlteredValues) {
  auto box = SecretBox::Create(Key('a')).value();
  std::string sealed = box.Seal("secret", "c");
  for (std::size_t i = 12; i < sealed.size(); ++i) {
    std::string altered = sealed;
    altered[i] = altered[i] == '0' ? '1' : '0';
    EXPECT_FALSE(box.Open(altered, "c").ok()) << "position " << i;
  }
  EXPECT_FALSE(box.Open("", "c").ok());
  EXPECT_FALSE(box.Open("secret", "c").ok());
  EXPECT_FALSE(box.Open(sealed.substr(0, sealed.size() - 2), "c").ok());
}

TEST(SecretBoxTest, PreviousKeysOpenAndOnlyTheCurrentSeals) {
  auto old_box = SecretBox::Create(Key('a')).value();
  std::string sealed_old = old_box.Seal("s", "c");
  auto rotated = SecretBox::Create(Key('b'), {Key('a')}).value();
  EXPECT_EQ(rotated.Open(sealed_old, "c").value(), "s");
  EXPECT_EQ(SecretBox::KeyIdOf(rotated.Seal("s", "c")), SecretBox::KeyId(Key('b')));
  auto new_only = SecretBox::Create(Key('b')).value();
  auto refused = new_only.Open(sealed_old, "c");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(refused.error().message.find(old_box.current_key_id()), std::string::npos);
  EXPECT_FALSE(SecretBox::Create("short").ok());
}

TEST(SecretBoxTest, ParsesHexAndBase64Keys) {
  std::string hex(64, 'f');
  EXPECT_EQ(ParseMasterKey(hex + "\n", "k").value(), std::string(32, '\xff'));
  EXPECT_EQ(ParseMasterKey("//////////////////////////////////////////8=", "k").value(),
            std::string(32, '\xff'));
  EXPECT_FALSE(ParseMasterKey(hex.substr(2), "k").ok());
  EXPECT_FALSE(ParseMasterKey("zz" + hex.substr(2), "k").ok());
  EXPECT_FALSE(ParseMasterKey("", "k").ok());
}

class MasterKeyFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/instamarket-keytest-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
  }
  void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }

  std::string Write(const std::string& name, const std::string& text, mode_t mode) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    chmod(path.c_str(), mode);
    return path;
  }

  std::string dir_;
};

TEST_F(MasterKeyFileTest, LoadsAPrivateFileAndRefusesOthers) {
  SecretsConfig secrets;
  auto missing = LoadMasterKeys(secrets);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("secrets.master_key_file: is required"),
            std::string::npos);

  secrets.master_key_file = Write("master.key", std::string(64, 'a') + "\n", 0600);
  auto box = LoadMasterKeys(secrets);
  ASSERT_TRUE(box.ok()) << box.error().message;
  EXPECT_EQ(box->current_key_id(), SecretBox::KeyId(std::string(32, '\xaa')));

  secrets.master_key_file = Write("open.key", std::string(64, 'a'), 0644);
  auto readable = LoadMasterKeys(secrets);
  ASSERT_FALSE(readable.ok());
  EXPECT_NE(readable.error().message.find("chmod 600"), std::string::npos);

  secrets.master_key_file = Write("bad.key", "not a key", 0600);
  EXPECT_FALSE(LoadMasterKeys(secrets).ok());

  secrets.master_key_file = dir_ + "/absent.key";
  EXPECT_FALSE(LoadMasterKeys(secrets).ok());
}

TEST_F(MasterKeyFileTest, ReadsTheNamedVariableAndPreviousFiles) {
  SecretsConfig secrets;
  secrets.master_key_env = "INSTAMARKET_TEST_MASTER_KEY_VAR";
  unsetenv(secrets.master_key_env.c_str());
  EXPECT_FALSE(LoadMasterKeys(secrets).ok());
  setenv(secrets.master_key_env.c_str(), std::string(64, 'b').c_str(), 1);
  secrets.previous_master_key_files = {Write("old.key", std::string(64, 'a'), 0600)};
  auto box = LoadMasterKeys(secrets);
  ASSERT_TRUE(box.ok()) << box.error().message;
  EXPECT_EQ(std::getenv(secrets.master_key_env.c_str()), nullptr);  // read, then gone
  auto old_box = SecretBox::Create(std::string(32, '\xaa')).value();
  EXPECT_EQ(box->Open(old_box.Seal("s", "c"), "c").value(), "s");
  unsetenv(secrets.master_key_env.c_str());
}

}  // namespace
}  // namespace instamarket
