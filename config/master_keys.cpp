#include "config/master_keys.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace instamarket {
namespace {

constexpr std::size_t kMaxKeyFileBytes = 4096;  // a key is 64 characters; refuse anything huge

Result<std::string> ReadKeyFile(const std::string& path, const std::string& what) {
  // Opened once, not followed if a link, and judged by what was opened (no swap in between).
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    return MakeError(ErrorCode::kInvalidArgument,
                     what + ": cannot read \"" + path + "\": " + std::strerror(errno));
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    return MakeError(ErrorCode::kInvalidArgument,
                     what + ": cannot read \"" + path + "\": " + std::strerror(errno));
  }
  if (st.st_uid != ::geteuid() && st.st_uid != 0) {
    return MakeError(ErrorCode::kInvalidArgument,
                     what + ": \"" + path + "\" belongs to another user; it must be this " +
                         "service's or root's");
  }
  if (!S_ISREG(st.st_mode) || st.st_size > static_cast<off_t>(kMaxKeyFileBytes)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     what + ": \"" + path + "\" is not a key file (a regular file of one line)");
  }
  if (st.st_mode & (S_IROTH | S_IWOTH | S_IWGRP)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     what + ": \"" + path +
                         "\" can be read or changed by other users; chmod 600 (or 640 for the "
                         "service's group)");
  }
  std::string text(kMaxKeyFileBytes, '\0');
  ssize_t n = ::read(fd, text.data(), text.size());
  if (n < 0) {
    return MakeError(ErrorCode::kInvalidArgument,
                     what + ": cannot read \"" + path + "\": " + std::strerror(errno));
  }
  text.resize(static_cast<std::size_t>(n));
  return ParseMasterKey(text, what + " (\"" + path + "\")");
}

}  // namespace

Result<SecretBox> LoadMasterKeys(const SecretsConfig& secrets) {
  Result<std::string> current = std::string();
  if (!secrets.master_key_file.empty()) {
    current = ReadKeyFile(secrets.master_key_file, "secrets.master_key_file");
  } else if (!secrets.master_key_env.empty()) {
    const char* value = std::getenv(secrets.master_key_env.c_str());
    if (!value || !*value) {
      return MakeError(ErrorCode::kInvalidArgument, "secrets.master_key_env: the variable " +
                                                        secrets.master_key_env + " is not set");
    }
    current = ParseMasterKey(value, "secrets.master_key_env (" + secrets.master_key_env + ")");
    // Out of the environment, so no child process and no /proc/PID/environ reader sees it.
    ::unsetenv(secrets.master_key_env.c_str());
  } else {
    return MakeError(ErrorCode::kInvalidArgument,
                     "secrets.master_key_file: is required: the master key that seals API "
                     "secrets in the database (make one with: od -An -tx1 -N32 /dev/urandom | "
                     "tr -d ' \\n' > master.key; chmod 600 master.key)");
  }
  if (!current) return current.error();
  std::vector<std::string> previous;
  for (std::size_t i = 0; i < secrets.previous_master_key_files.size(); ++i) {
    auto key = ReadKeyFile(secrets.previous_master_key_files[i],
                           "secrets.previous_master_key_files[" + std::to_string(i) + "]");
    if (!key) return key.error();
    previous.push_back(std::move(*key));
  }
  return SecretBox::Create(std::move(*current), std::move(previous));
}

}  // namespace instamarket
