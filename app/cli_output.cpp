#include "app/cli_output.h"

#include <cstdio>

#include "core/json_writer.h"

namespace instamarket {

int PrintJson(const std::string& json) {
  std::fwrite(json.data(), 1, json.size(), stdout);
  std::fputc('\n', stdout);
  return std::fflush(stdout) == 0 ? kExitOk : kExitFailed;
}

int PrintError(const Error& error) {
  JsonWriter json;
  json.BeginObject()
      .Field("error", error.message)
      .Field("code", ErrorCodeName(error.code))
      .EndObject();
  std::fprintf(stderr, "%s\n", json.str().c_str());
  return kExitFailed;
}

int PrintUsageError(const std::string& message) {
  JsonWriter json;
  json.BeginObject().Field("error", message).Field("code", "usage").EndObject();
  std::fprintf(stderr, "%s\n", json.str().c_str());
  return kExitUsage;
}

std::string CsvField(const std::string& value) {
  if (value.find_first_of(",\"\r\n") == std::string::npos) return value;
  std::string out = "\"";
  for (char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string CsvText(const std::string& value) {
  if (!value.empty() && std::string("=+-@\t\r").find(value[0]) != std::string::npos) {
    return CsvField("'" + value);
  }
  return CsvField(value);
}

int PrintText(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  return std::fflush(stdout) == 0 ? kExitOk : kExitFailed;
}

}  // namespace instamarket
