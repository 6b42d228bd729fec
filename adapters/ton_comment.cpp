#include "adapters/ton_comment.h"

#include <cstdint>
#include <vector>

#include "core/crypto.h"
#include "core/printable_text.h"

namespace instamarket {
namespace {

constexpr std::size_t kMaxCommentBytes = 4096;  // kept for finance; longer text is cut

struct Cell {
  std::string data;  // whole bytes only (a comment never ends mid-byte)
  std::vector<std::size_t> refs;
};

// A bag of cells (TON's serialization, "b5ee9c72" variant): header, then each cell as two
// descriptor bytes, its data and its references by index.
class BocReader {
 public:
  explicit BocReader(std::string_view bytes) : in_(bytes) {}

  std::optional<std::vector<Cell>> Cells(std::size_t& root) {
    if (Uint(4) != 0xb5ee9c72) return std::nullopt;
    std::uint64_t flags = Uint(1);
    bool has_index = flags & 0x80;
    std::size_t ref_size = flags & 0x07;
    std::size_t offset_size = Uint(1);
    if (ref_size == 0 || ref_size > 4 || offset_size == 0 || offset_size > 8) return std::nullopt;
    std::uint64_t cells = Uint(ref_size), roots = Uint(ref_size);
    Uint(ref_size);     // absent cells
    Uint(offset_size);  // total size of the cells
    if (!ok_ || roots < 1 || cells < 1 || cells > 1024) return std::nullopt;
    root = Uint(ref_size);
    pos_ += (roots - 1) * ref_size;
    if (has_index) pos_ += cells * offset_size;
    std::vector<Cell> out(cells);
    for (auto& cell : out) {
      std::uint64_t d1 = Uint(1), d2 = Uint(1);
      std::size_t ref_count = d1 & 7;
      if (d1 & 8 || ref_count > 4) return std::nullopt;  // exotic cells are no comment
      if (d1 & 16) pos_ += ((d1 >> 5) + 1) * (32 + 2);   // stored hashes and depths
      std::size_t size = (d2 + 1) / 2;
      if (!ok_ || pos_ + size > in_.size()) return std::nullopt;
      cell.data = std::string(in_.substr(pos_, size));
      pos_ += size;
      if (d2 % 2 == 1) cell.data.pop_back();  // a partial byte: not text
      for (std::size_t r = 0; r < ref_count; ++r) cell.refs.push_back(Uint(ref_size));
    }
    if (!ok_ || root >= out.size()) return std::nullopt;
    return out;
  }

 private:
  std::uint64_t Uint(std::size_t bytes) {
    if (pos_ + bytes > in_.size()) {
      ok_ = false;
      return 0;
    }
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < bytes; ++i) v = v << 8 | static_cast<unsigned char>(in_[pos_ + i]);
    pos_ += bytes;
    return v;
  }

  std::string_view in_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace

std::optional<std::string> TonTextComment(std::string_view boc_base64) {
  auto bytes = Base64Decode(boc_base64);
  if (!bytes) return std::nullopt;
  std::size_t root = 0;
  auto cells = BocReader(*bytes).Cells(root);
  if (!cells) return std::nullopt;
  const Cell* cell = &(*cells)[root];
  if (cell->data.size() < 4 || cell->data.compare(0, 4, std::string(4, '\0')) != 0)
    return std::nullopt;
  std::string text = cell->data.substr(4);
  for (std::size_t hops = 0; !cell->refs.empty() && hops < cells->size(); ++hops) {
    std::size_t next = cell->refs[0];
    if (next >= cells->size()) return std::nullopt;
    cell = &(*cells)[next];
    text += cell->data;
    if (text.size() > kMaxCommentBytes) break;
  }
  return PrintableUtf8(text, kMaxCommentBytes);
}

}  // namespace instamarket
