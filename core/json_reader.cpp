#include "core/json_reader.h"

#include <unordered_set>
#include <vector>

namespace instamarket {

// Builds the DOM with nlohmann's own SAX DOM builder and, beside it, records where each
// floating-point number stood and how it was written. Hostile bodies are refused here, before
// any handler sees them: nesting deeper than kMaxJsonDepth and duplicate keys (which would let
// two readers of one body see two different values). Memory stays linear in the body: one
// running pointer string, truncated on the way out of a container, instead of a copy per level.
class ExactNumberSax {
 public:
  using json = nlohmann::json;
  using number_integer_t = json::number_integer_t;
  using number_unsigned_t = json::number_unsigned_t;
  using number_float_t = json::number_float_t;
  using string_t = json::string_t;
  using binary_t = json::binary_t;

  explicit ExactNumberSax(JsonDocument& doc) : doc_(doc), dom_(doc.root_, false) {}

  bool null() { return Scalar() && dom_.null(); }
  bool boolean(bool v) { return Scalar() && dom_.boolean(v); }
  bool number_integer(number_integer_t v) { return Scalar() && dom_.number_integer(v); }
  bool number_unsigned(number_unsigned_t v) { return Scalar() && dom_.number_unsigned(v); }
  bool number_float(number_float_t v, const string_t& s) {
    // Money is only ever read at short pointers ("/price_usdt"); a text kept for every float at
    // any depth would make memory grow with floats times pointer length.
    if (path_.empty()) {
      doc_.float_texts_[""] = s;
    } else if (std::string segment = CurrentSegment();
               pointer_.size() + 1 + segment.size() <= kMaxRecordedPointer) {
      doc_.float_texts_[pointer_ + "/" + segment] = s;
    }
    return Scalar() && dom_.number_float(v, s);
  }
  bool string(string_t& v) { return Scalar() && dom_.string(v); }
  bool binary(binary_t& v) { return Scalar() && dom_.binary(v); }
  bool start_object(std::size_t n) { return Enter(false) && dom_.start_object(n); }
  bool key(string_t& k) {
    Level& top = path_.back();
    if (!top.keys.insert(k).second) return Fail("duplicate key in an object");
    top.key = k;
    return dom_.key(k);
  }
  bool end_object() {
    Leave();
    return dom_.end_object();
  }
  bool start_array(std::size_t n) { return Enter(true) && dom_.start_array(n); }
  bool end_array() {
    Leave();
    return dom_.end_array();
  }
  bool parse_error(std::size_t pos, const std::string& token,
                   const nlohmann::detail::exception& ex) {
    if (error_.empty()) error_ = ex.what();
    (void)pos;
    (void)token;
    return false;
  }

  const std::string& error() const { return error_; }

 private:
  static constexpr std::size_t kMaxRecordedPointer = 128;

  struct Level {
    std::size_t pointer_length;  // of pointer_ before this container's segment was appended
    bool is_array;
    std::size_t index = 0;
    std::string key;
    std::unordered_set<std::string> keys;  // objects: the keys seen so far
  };

  static std::string Escape(const std::string& key) {
    std::string out;
    for (char c : key) {
      if (c == '~')
        out += "~0";
      else if (c == '/')
        out += "~1";
      else
        out.push_back(c);
    }
    return out;
  }

  // The pointer segment of the value about to be parsed, inside the innermost container.
  std::string CurrentSegment() const {
    if (path_.empty()) return "";
    const Level& top = path_.back();
    return top.is_array ? std::to_string(top.index) : Escape(top.key);
  }

  bool Enter(bool is_array) {
    if (path_.size() >= kMaxJsonDepth) {
      return Fail("nesting deeper than " + std::to_string(kMaxJsonDepth) + " levels");
    }
    std::size_t before = pointer_.size();
    if (!path_.empty()) pointer_.append("/").append(CurrentSegment());
    path_.push_back(Level{before, is_array, 0, {}, {}});
    return true;
  }
  void Leave() {
    pointer_.resize(path_.back().pointer_length);
    path_.pop_back();
    Advance();
  }
  void Advance() {
    if (!path_.empty() && path_.back().is_array) ++path_.back().index;
  }
  bool Scalar() {
    Advance();
    return true;
  }
  bool Fail(std::string why) {
    error_ = std::move(why);
    return false;
  }

  JsonDocument& doc_;
  nlohmann::detail::json_sax_dom_parser<json> dom_;
  std::vector<Level> path_;
  std::string pointer_;  // of the innermost open container ("" at the top)
  std::string error_;
};

Result<JsonDocument> JsonDocument::Parse(std::string_view text) {
  JsonDocument doc;
  ExactNumberSax sax(doc);
  bool ok = nlohmann::json::sax_parse(text.begin(), text.end(), &sax,
                                      nlohmann::json::input_format_t::json, true);
  if (!ok) {
    std::string why = sax.error().empty() ? "invalid JSON" : sax.error();
    return MakeError(ErrorCode::kInvalidArgument, why);
  }
  return doc;
}

Result<Money> JsonDocument::MoneyAt(const std::string& pointer) const {
  nlohmann::json::json_pointer ptr(pointer);
  if (!root_.contains(ptr)) return MakeError(ErrorCode::kNotFound, pointer + " is missing");
  const nlohmann::json& v = root_.at(ptr);
  if (v.is_string()) return Money::Parse(v.get_ref<const std::string&>());
  if (v.is_number_integer()) {
    if (v.is_number_unsigned() && v.get<std::uint64_t>() > INT64_MAX) {
      return MakeError(ErrorCode::kInvalidArgument, "amount too large");
    }
    std::int64_t whole = v.get<std::int64_t>();
    auto m = Money::FromMicros(Money::kMicrosPerUsdt).CheckedMul(whole);
    if (!m) return MakeError(ErrorCode::kInvalidArgument, "amount too large");
    return *m;
  }
  if (v.is_number_float()) {
    auto it = float_texts_.find(pointer);
    if (it == float_texts_.end()) return MakeError(ErrorCode::kInternal, "number text lost");
    return Money::Parse(it->second);
  }
  return MakeError(ErrorCode::kInvalidArgument, "must be a number");
}

}  // namespace instamarket
