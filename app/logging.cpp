#include "app/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/spdlog.h>

#include "core/json_writer.h"
#include "core/log_context.h"

namespace instamarket {
namespace {

void AppendJsonEscaped(std::string_view text, spdlog::memory_buf_t& dest) {
  std::string quoted;
  AppendJsonString(quoted, text);  // with its quotes
  dest.append(quoted.data() + 1, quoted.data() + quoted.size() - 1);
}

// %J: the message, escaped for a JSON string.
class JsonMessageFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    AppendJsonEscaped(std::string_view(msg.payload.data(), msg.payload.size()), dest);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonMessageFlag>();
  }
};

// %Q: the id of the request the logging thread serves, escaped for a JSON string.
class RequestIdFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg&, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    AppendJsonEscaped(ScopedRequestId::Current(), dest);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<RequestIdFlag>();
  }
};

}  // namespace

void ConfigureLogging(const LogConfig& log) {
  spdlog::set_level(spdlog::level::from_str(log.level));
  if (log.format != "json") {
    spdlog::set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%l] %v");
    return;
  }
  auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  formatter->add_flag<JsonMessageFlag>('J').add_flag<RequestIdFlag>('Q').set_pattern(
      R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","logger":"%n","thread":%t,)"
      R"("request_id":"%Q","msg":"%J"})");
  spdlog::set_formatter(std::move(formatter));
}

}  // namespace instamarket
