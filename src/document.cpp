#include "document.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iomanip>
#include <istream>
#include <optional>
#include <set>
#include <sstream>
#include <streambuf>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace subsidy {

RawValue RawValue::of_text(std::string text, Mark mark) {
  RawValue v;
  v.kind = Kind::text;
  v.text = std::move(text);
  v.mark = std::move(mark);
  return v;
}

}  // namespace subsidy

namespace subsidy::detail {

namespace {

// One limit for a file read from disk and for a text handed over in memory (load_texts, bindings).
void check_file_size(const std::string& name, std::size_t size) {
  if (size > Limits::max_file_bytes) {
    throw Error::expected(ErrorKind::limit,
                          "a file of at most " + std::to_string(Limits::max_file_bytes) + " bytes",
                          std::to_string(size) + " bytes", Mark{name, 0, 0, {}});
  }
}

std::string not_a_file(std::filesystem::file_type type) {
  switch (type) {
    case std::filesystem::file_type::directory:
      return "a directory";
    case std::filesystem::file_type::fifo:
      return "a named pipe (FIFO)";
    case std::filesystem::file_type::socket:
      return "a socket";
    case std::filesystem::file_type::block:
    case std::filesystem::file_type::character:
      return "a device";
    default:
      return "not a regular file";
  }
}

}  // namespace

std::string read_file(const std::string& path) {
  // Opening a FIFO blocks until a writer comes, and a directory or a device has no size worth
  // the name: only a regular file (or a symbolic link to one) is read.
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (!ec && status.type() != std::filesystem::file_type::regular &&
      status.type() != std::filesystem::file_type::not_found) {
    throw Error::expected(ErrorKind::io, "a regular file", not_a_file(status.type()),
                          Mark{path, 0, 0, {}});
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::io, "cannot open file for reading", Mark{path, 0, 0, {}});
  in.seekg(0, std::ios::end);
  const auto size = in.tellg();
  if (size < 0) throw Error(ErrorKind::io, "cannot read file", Mark{path, 0, 0, {}});
  check_file_size(path, static_cast<std::size_t>(size));
  in.seekg(0, std::ios::beg);
  std::string text(static_cast<std::size_t>(size), '\0');
  in.read(text.data(), static_cast<std::streamsize>(size));
  return text;
}

namespace {

// Spreadsheet programs on Chinese systems save "text" as GBK (GB18030) or UTF-16: say so, since
// "invalid byte 0xd6" alone sends the reader looking for a typo.
std::string encoding_hint(const std::string& text, std::size_t at) {
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const bool utf16_bom = text.size() >= 2 && ((byte(0) == 0xFF && byte(1) == 0xFE) ||
                                              (byte(0) == 0xFE && byte(1) == 0xFF));
  // Without a byte-order mark, UTF-16 text shows itself by a zero byte beside every ASCII one.
  const std::size_t head = std::min<std::size_t>(text.size(), 256);
  const auto zeros = static_cast<std::size_t>(
      std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(head), '\0'));
  const bool utf16_zeros = head >= 8 && zeros * 3 >= head;
  if (utf16_bom || utf16_zeros) return " (the file looks like UTF-16: save it as UTF-8)";
  // Two Chinese characters in GBK: four high bytes, each pair a lead 0x81-0xFE and a trail
  // 0x80-0xFE. A lone bad sequence in UTF-8 text (overlong, truncated) or Latin-1 (an accented
  // letter among ASCII ones) gets no hint.
  auto pair_at = [&](std::size_t i) {
    return i + 1 < text.size() && byte(i) >= 0x81 && byte(i) <= 0xFE && byte(i + 1) >= 0x80 &&
           byte(i + 1) <= 0xFE;
  };
  if (pair_at(at) && pair_at(at + 2)) return " (the file looks like GBK/GB18030: save it as UTF-8)";
  return "";
}

}  // namespace

std::string_view check_utf8(const std::string& name, const std::string& text) {
  std::size_t start = 0;
  if (text.size() >= 3 && static_cast<unsigned char>(text[0]) == 0xEF &&
      static_cast<unsigned char>(text[1]) == 0xBB && static_cast<unsigned char>(text[2]) == 0xBF) {
    start = 3;
  }
  int line = 1, column = 1;
  for (std::size_t i = start; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t len = 0;
    if (c < 0x80) {
      len = 1;
    } else if ((c & 0xE0) == 0xC0 && c >= 0xC2) {
      len = 2;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
    } else if ((c & 0xF8) == 0xF0 && c <= 0xF4) {
      len = 4;
    }
    bool ok = len > 0 && i + len <= text.size();
    for (std::size_t k = 1; ok && k < len; ++k) {
      ok = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
    }
    if (ok && len == 3) {
      const auto c1 = static_cast<unsigned char>(text[i + 1]);
      ok = !(c == 0xE0 && c1 < 0xA0) && !(c == 0xED && c1 >= 0xA0);  // overlong, surrogates
    }
    if (ok && len == 4) {
      const auto c1 = static_cast<unsigned char>(text[i + 1]);
      ok = !(c == 0xF0 && c1 < 0x90) && !(c == 0xF4 && c1 >= 0x90);
    }
    if (!ok) {
      std::ostringstream hex;
      hex << "byte 0x" << std::hex << static_cast<int>(c);
      throw Error::expected(ErrorKind::parse, "UTF-8 text",
                            "invalid " + hex.str() + encoding_hint(text, i),
                            Mark{name, line, column, {}});
    }
    if ((c < 0x20 && c != '\n' && c != '\r' && c != '\t') || c == 0x7F) {
      // NUL, ESC and the like are never part of a rule or a fact, and printed back they would
      // drive the reader's terminal.
      std::ostringstream code;
      code << "control character U+" << std::hex << std::uppercase << std::setw(4)
           << std::setfill('0') << static_cast<int>(c);
      throw Error::expected(ErrorKind::parse, "text without control characters",
                            code.str() + encoding_hint(text, i), Mark{name, line, column, {}});
    }
    if (c == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
    i += len;
  }
  return std::string_view(text).substr(start);
}

namespace {

// yaml-cpp counts columns in bytes; editors count characters, and rule files are mostly Chinese.
// Counting continuation bytes from checkpoints keeps this linear even for a one-line JSON file.
class CharacterColumns {
 public:
  explicit CharacterColumns(const std::string& text) : text_(text) {
    std::uint32_t count = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (i % kStep == 0) checkpoints_.push_back(count);
      if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) ++count;
    }
  }

  int column(int pos, int byte_column) const {
    if (pos < 0 || byte_column < 0 || static_cast<std::size_t>(pos) > text_.size() ||
        byte_column > pos) {
      return byte_column + 1;
    }
    const auto end = static_cast<std::size_t>(pos);
    const std::size_t start = end - static_cast<std::size_t>(byte_column);
    const std::size_t continuation = continuation_before(end) - continuation_before(start);
    return static_cast<int>(static_cast<std::size_t>(byte_column) - continuation) + 1;
  }

 private:
  // Every event asks for a column; a long line asks a million times. 64 bytes per checkpoint
  // costs 6% of the text in memory and bounds each answer to a 64-byte scan.
  static constexpr std::size_t kStep = 64;

  std::size_t continuation_before(std::size_t pos) const {
    if (checkpoints_.empty()) return 0;
    const std::size_t block = std::min(pos / kStep, checkpoints_.size() - 1);
    std::size_t count = checkpoints_[block];
    for (std::size_t i = block * kStep; i < pos && i < text_.size(); ++i) {
      if ((static_cast<unsigned char>(text_[i]) & 0xC0) == 0x80) ++count;
    }
    return count;
  }

  const std::string& text_;
  std::vector<std::uint32_t> checkpoints_;
};

// Builds the RawValue tree straight from the parser's events (no yaml-cpp node graph), checking
// every limit as it goes: nesting depth, items per list or map, values in all, values copied by
// aliases, the size of one value. An alias bomb ("billion laughs", a few hundred bytes whose
// aliases expand to billions of values) is refused at the alias that crosses the limit, and
// nesting at the 65th level, before yaml-cpp recurses any deeper.
class TreeBuilder : public YAML::EventHandler {
 public:
  TreeBuilder(const std::string& name, const std::string& text, const CharacterColumns& columns)
      : name_(name), text_(text), columns_(columns) {}

  /// The document's root; nullopt if the input held no document.
  std::optional<RawValue>& root() { return root_; }

  // A second document ('---') would be dropped by a reader that takes the first, and the
  // rules or facts in it silently lost: one document per file.
  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++documents_ > 1) {
      throw Error::expected(ErrorKind::yaml, "one YAML document per file",
                            "a second document (after '---')", mark_of(mark));
    }
  }
  void OnDocumentEnd() override {}
  void OnAnchor(const YAML::Mark&, const std::string& anchor) override {
    anchor_names_.push_back(anchor);
  }

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    RawValue v;
    v.mark = mark_of(mark);
    complete(std::move(v), anchor, 1);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    untagged(tag, mark);
    closed_quote(mark);
    RawValue v;
    v.kind = RawValue::Kind::text;
    v.mark = mark_of(mark);
    v.quoted = tag == "!";  // yaml-cpp's tag for a quoted (non-plain) scalar
    if (value.size() > Limits::max_scalar_bytes) {
      throw Error::expected(
          ErrorKind::limit,
          "a value of at most " + std::to_string(Limits::max_scalar_bytes) + " bytes",
          std::to_string(value.size()) + " bytes", v.mark);
    }
    v.text = value;
    complete(std::move(v), anchor, 1);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    for (const Open& open : stack_) {
      if (open.anchor == anchor && anchor != YAML::NullAnchor) {
        throw Error::expected(ErrorKind::yaml, "an alias to a finished node",
                              "*" + anchor_name(anchor) + " inside the node it names (a cycle)",
                              mark_of(mark));
      }
    }
    if (anchor >= anchored_.size() ||
        !anchored_[anchor]) {  // yaml-cpp reports unknown anchors itself
      throw Error(ErrorKind::yaml, "the referenced anchor is not defined", mark_of(mark));
    }
    const Anchored& a = *anchored_[anchor];
    alias_nodes_ += a.nodes;
    if (alias_nodes_ > Limits::max_alias_nodes) {
      throw Error::expected(ErrorKind::limit,
                            "at most " + std::to_string(Limits::max_alias_nodes) +
                                " values copied by expanding aliases",
                            "more, at alias *" + anchor_name(anchor), mark_of(mark));
    }
    complete(RawValue(a.value), YAML::NullAnchor, a.nodes);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    untagged(tag, mark);
    open(mark, anchor, RawValue::Kind::list);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    untagged(tag, mark);
    open(mark, anchor, RawValue::Kind::map);
  }
  void OnMapEnd() override { close(); }

 private:
  struct Open {
    RawValue value;
    YAML::anchor_t anchor = YAML::NullAnchor;
    std::size_t first_node = 0;  // nodes_ before this collection, for its anchored size
    std::optional<std::pair<std::string, Mark>> key;  // a map's key waiting for its value
    std::unordered_set<std::string> keys;             // a map's keys, once it has many
  };
  struct Anchored {
    RawValue value;
    std::size_t nodes = 0;
  };

  Mark mark_of(const YAML::Mark& m) const {
    return Mark{name_, m.line + 1, columns_.column(m.pos, m.column), {}};
  }

  std::string anchor_name(YAML::anchor_t anchor) const {
    return anchor >= 1 && anchor <= anchor_names_.size() ? anchor_names_[anchor - 1] : "?";
  }

  // A tag changes what a value means (`!!null 2亿` is no amount at all, `!!str 30万` only text),
  // and the library reads every value by its declared unit instead: a tag is refused, not ignored.
  // yaml-cpp reports "?" for a plain value and "!" for a quoted one.
  void untagged(const std::string& tag, const YAML::Mark& mark) const {
    if (tag.empty() || tag == "?" || tag == "!") return;
    const std::string core = "tag:yaml.org,2002:";
    const std::string shown =
        tag.compare(0, core.size(), core) == 0 ? "!!" + tag.substr(core.size()) : tag;
    throw Error::expected(ErrorKind::yaml, "a value without a YAML tag", "the tag '" + shown + "'",
                          mark_of(mark));
  }

  // yaml-cpp accepts a quoted scalar that runs to the end of the file ("P<EOF>), which would
  // swallow the rest of a half-edited file into one string: the closing quote must be there.
  void closed_quote(const YAML::Mark& mark) const {
    if (mark.pos < 0 || static_cast<std::size_t>(mark.pos) >= text_.size()) return;
    const auto start = static_cast<std::size_t>(mark.pos);
    const char quote = text_[start];
    if (quote != '"' && quote != '\'') return;
    for (std::size_t i = start + 1; i < text_.size(); ++i) {
      if (quote == '"' && text_[i] == '\\') {
        ++i;  // an escape: the next character is never the closing quote
      } else if (text_[i] == quote) {
        if (quote == '\'' && i + 1 < text_.size() && text_[i + 1] == '\'') {
          ++i;  // '' is a quote inside a single-quoted scalar
        } else {
          return;
        }
      }
    }
    throw Error::expected(ErrorKind::yaml,
                          std::string("a closing ") + quote + " for the string opened here",
                          "the end of the file", mark_of(mark));
  }

  void count(const Mark& mark, std::size_t nodes) {
    nodes_ += nodes;
    if (nodes_ > Limits::max_nodes) {
      throw Error::expected(
          ErrorKind::limit,
          "at most " + std::to_string(Limits::max_nodes) + " values (after expanding aliases)",
          "more", mark);
    }
  }

  void open(const YAML::Mark& yaml_mark, YAML::anchor_t anchor, RawValue::Kind kind) {
    const Mark mark = mark_of(yaml_mark);
    if (stack_.size() + 1 > Limits::max_depth) {
      throw Error::expected(ErrorKind::limit,
                            "nesting at most " + std::to_string(Limits::max_depth) + " levels deep",
                            "deeper nesting", mark);
    }
    count(mark, 1);
    Open o;
    o.value.kind = kind;
    o.value.mark = mark;
    o.anchor = anchor;
    o.first_node = nodes_ - 1;
    stack_.push_back(std::move(o));
  }

  void close() {
    Open done = std::move(stack_.back());
    stack_.pop_back();
    const std::size_t nodes = nodes_ - done.first_node;
    nodes_ = done.first_node;  // complete() counts the collection again, as a whole
    complete(std::move(done.value), done.anchor, nodes);
  }

  /// A finished value: the root, a list item, a map key or a map value.
  void complete(RawValue v, YAML::anchor_t anchor, std::size_t nodes) {
    count(v.mark, nodes);
    if (anchor != YAML::NullAnchor) {
      // Every anchored value is kept for its aliases: nested anchors without a single alias
      // would copy their contents once per level, so what anchors hold is bounded like what
      // aliases copy.
      anchored_nodes_ += nodes;
      if (anchored_nodes_ > Limits::max_alias_nodes) {
        throw Error::expected(
            ErrorKind::limit,
            "at most " + std::to_string(Limits::max_alias_nodes) + " values held by anchors",
            "more, at anchor &" + anchor_name(anchor), v.mark);
      }
      if (anchor >= anchored_.size()) anchored_.resize(anchor + 1);
      anchored_[anchor] = Anchored{v, nodes};
    }
    if (stack_.empty()) {
      if (!root_) root_ = std::move(v);
      return;
    }
    Open& parent = stack_.back();
    RawValue& p = parent.value;
    if (p.kind == RawValue::Kind::list) {
      items_within_limit(p.items.size(), false, v.mark);
      p.items.push_back(std::move(v));
      return;
    }
    if (!parent.key) {
      if (v.kind != RawValue::Kind::text) {
        throw Error::expected(ErrorKind::schema, "a plain key", "a complex key", v.mark);
      }
      items_within_limit(p.entries.size(), true, v.mark);
      if (duplicate(parent, v.text))
        throw Error(ErrorKind::schema, "duplicate key '" + v.text + "'", v.mark);
      parent.key.emplace(std::move(v.text), v.mark);
      return;
    }
    if (v.mark.line == 0) v.mark = parent.key->second;
    p.entries.emplace_back(std::move(parent.key->first), std::move(v));
    parent.key.reset();
  }

  // Small maps (every rule, every enterprise record) are searched; large ones keep a set.
  static bool duplicate(Open& map, const std::string& key) {
    auto& entries = map.value.entries;
    constexpr std::size_t kSearched = 32;
    if (entries.size() < kSearched) {
      for (const auto& entry : entries) {
        if (entry.first == key) return true;
      }
      return false;
    }
    if (map.keys.empty()) {
      for (const auto& entry : entries) map.keys.insert(entry.first);
    }
    return !map.keys.insert(key).second;
  }

  static void items_within_limit(std::size_t size, bool map, const Mark& mark) {
    if (size < Limits::max_items) return;
    throw Error::expected(ErrorKind::limit,
                          std::string(map ? "a map of at most " : "a list of at most ") +
                              std::to_string(Limits::max_items) + (map ? " keys" : " items"),
                          "more", mark);
  }

  const std::string& name_;
  const std::string& text_;
  const CharacterColumns& columns_;
  std::optional<RawValue> root_;
  std::vector<Open> stack_;
  std::vector<std::optional<Anchored>> anchored_;  // by anchor id
  std::vector<std::string> anchor_names_;          // anchor id - 1 → name
  std::size_t nodes_ = 0;
  std::size_t alias_nodes_ = 0;
  std::size_t anchored_nodes_ = 0;
  int documents_ = 0;
};

// Reads a string through an istream without copying it (YAML::Parser wants a stream).
class TextBuffer : public std::streambuf {
 public:
  explicit TextBuffer(const std::string& text) {
    char* begin = const_cast<char*>(text.data());  // read-only: the get area is never written
    setg(begin, begin, begin + text.size());
  }
};

}  // namespace

RawValue parse_yaml(const std::string& name, const std::string& raw_text) {
  check_file_size(name, raw_text.size());
  // Without a byte-order mark (nearly always) the text is parsed where it lies, not copied.
  const std::string_view view = check_utf8(name, raw_text);
  std::string stripped;
  if (view.size() != raw_text.size()) stripped = std::string(view);
  const std::string& text = view.size() == raw_text.size() ? raw_text : stripped;
  if (named_json(name)) check_strict_json(name, text);
  const CharacterColumns columns(text);
  TreeBuilder builder(name, text, columns);
  try {
    TextBuffer buffer(text);
    std::istream stream(&buffer);
    YAML::Parser parser(stream);
    if (parser.HandleNextDocument(builder)) {
      (void)parser.HandleNextDocument(builder);  // a second document is refused at its start
    }
  } catch (const YAML::Exception& e) {
    throw Error(ErrorKind::yaml, e.msg,
                Mark{name, e.mark.line + 1, columns.column(e.mark.pos, e.mark.column), {}});
  }
  auto& root = builder.root();
  if (!root || root->kind == RawValue::Kind::null) {
    throw Error::expected(ErrorKind::schema, "a YAML document", "an empty file",
                          Mark{name, 1, 1, {}});
  }
  return std::move(*root);
}

RawValue parse_csv(const std::string& name, const std::string& raw_text) {
  RawValue out;
  out.kind = RawValue::Kind::list;
  out.mark = Mark{name, 1, 1, {}};
  for_each_csv_record(name, raw_text,
                      [&](RawValue&& record) { out.items.push_back(std::move(record)); });
  return out;
}

void for_each_csv_record(const std::string& name, const std::string& raw_text,
                         const std::function<void(RawValue&&)>& take) {
  check_file_size(name, raw_text.size());
  const std::string_view text = check_utf8(name, raw_text);
  // Each row is handed over as a record as soon as it ends: the cells of the whole file are
  // never held at once (a million-row file would cost gigabytes as a tree of values).
  std::size_t records = 0;
  std::vector<std::pair<std::string, int>> header;  // (column name, column)
  int header_line = 0;
  std::vector<std::pair<std::string, int>> row;  // (field text, column)
  std::string field;
  int line = 1, column = 1, field_column = 1, row_line = 1;
  int quote_line = 1, quote_column = 1;  // where the open quoted field started
  bool in_quotes = false, quoted = false, any = false;
  auto end_field = [&] {
    if (field.size() > Limits::max_scalar_bytes) {
      throw Error::expected(
          ErrorKind::limit,
          "a value of at most " + std::to_string(Limits::max_scalar_bytes) + " bytes",
          std::to_string(field.size()) + " bytes", Mark{name, row_line, field_column, {}});
    }
    if (row.size() == Limits::max_csv_columns) {
      throw Error::expected(
          ErrorKind::limit,
          "a row of at most " + std::to_string(Limits::max_csv_columns) + " columns", "more",
          Mark{name, row_line, field_column, {}});
    }
    row.emplace_back(std::move(field), field_column);
    field.clear();
    quoted = false;
  };
  auto take_header = [&] {
    std::set<std::string> seen;
    for (const auto& [h, col] : row) {
      if (h.empty()) {
        throw Error::expected(ErrorKind::schema, "a column name", "an empty header cell",
                              Mark{name, row_line, col, {}});
      }
      if (!seen.insert(h).second) {
        throw Error(ErrorKind::schema, "duplicate column '" + h + "'",
                    Mark{name, row_line, col, {}});
      }
    }
    header = std::move(row);
    header_line = row_line;
  };
  auto take_record = [&] {
    if (records >= Limits::max_items) {
      throw Error::expected(ErrorKind::limit,
                            "at most " + std::to_string(Limits::max_items) + " rows", "more",
                            Mark{name, row_line, 1, {}});
    }
    if (row.size() != header.size()) {
      const bool missing = row.size() < header.size();
      throw Error::expected(
          ErrorKind::schema, std::to_string(header.size()) + " columns as in the header",
          std::to_string(row.size()) + (missing ? " (a missing column)" : " (an extra column)"),
          Mark{name, row_line, 1,
               missing ? header[row.size()].first
                       : std::string("column ") + std::to_string(header.size() + 1)});
    }
    RawValue record;
    record.kind = RawValue::Kind::map;
    record.mark = Mark{name, row_line, 1, {}};
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (row[c].first.empty()) continue;  // an empty cell is a missing fact
      Mark m{name, row_line, row[c].second, header[c].first};
      record.entries.emplace_back(header[c].first, RawValue::of_text(std::move(row[c].first), m));
    }
    ++records;
    take(std::move(record));
  };
  auto end_row = [&] {
    end_field();
    const bool blank = row.size() == 1 && row[0].first.empty();
    if (!blank) {
      if (header_line == 0) {
        take_header();
      } else {
        take_record();
      }
    }
    row.clear();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    any = true;
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
          ++column;
        } else {
          in_quotes = false;
        }
      } else {
        field += c;
        if (c == '\n') {
          ++line;
          column = 0;
        }
      }
    } else if (c == '"') {
      if (!field.empty() || quoted) {
        throw Error::expected(ErrorKind::parse, "a quote only at the start of a field",
                              "a quote inside an unquoted field", Mark{name, line, column, {}});
      }
      in_quotes = true;
      quoted = true;
      quote_line = line;
      quote_column = column;
    } else if (c == ',') {
      end_field();
      field_column = column + 1;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      end_row();
      ++line;
      column = 0;
      field_column = 1;
      row_line = line;
    } else {
      if (quoted) {
        throw Error::expected(ErrorKind::parse,
                              "a comma or the end of the row after a quoted field",
                              std::string("'") + c + "'", Mark{name, line, column, {}});
      }
      field += c;
    }
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++column;  // characters, not bytes
  }
  if (in_quotes) {
    throw Error::expected(ErrorKind::parse, "a closing quote for the field opened here",
                          "the end of the file", Mark{name, quote_line, quote_column, {}});
  }
  if (!field.empty() || !row.empty()) end_row();
  if (!any || header_line == 0) {
    throw Error::expected(ErrorKind::schema, "a header row and at least one data row",
                          "an empty file", Mark{name, 1, 1, {}});
  }
  if (records == 0) {
    // A spreadsheet export whose filter left no row is a mistake, not an empty population.
    throw Error::expected(ErrorKind::schema, "a header row and at least one data row",
                          "only the header row", Mark{name, header_line, 1, {}});
  }
}

namespace {

// The id as a reader can see it: an invisible or space-like character is written <U+200B>.
std::string shown_id(const std::string& id) {
  std::string out;
  for (std::size_t i = 0; i < id.size();) {
    const auto c = static_cast<unsigned char>(id[i]);
    const std::size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    std::uint32_t code = len == 1 ? c : len == 2 ? c & 0x1F : len == 3 ? c & 0x0F : c & 0x07;
    for (std::size_t k = 1; k < len && i + k < id.size(); ++k) {
      code = (code << 6) | (static_cast<unsigned char>(id[i + k]) & 0x3F);
    }
    const bool hidden = code < 0x20 || code == 0x7F || code == 0xA0 || code == 0xAD ||
                        (code >= 0x2000 && code <= 0x200F) || code == 0x202F || code == 0x2060 ||
                        code == 0x3000 || code == 0xFEFF;
    if (hidden) {
      std::ostringstream hex;
      hex << "<U+" << std::hex << std::uppercase << std::setw(4) << std::setfill('0') << code
          << ">";
      out += hex.str();
    } else {
      out += id.substr(i, len);
    }
    i += len;
  }
  return out;
}

}  // namespace

void check_id(const std::string& id, ErrorKind kind, const Mark& mark) {
  // Spaces (ASCII, no-break, full-width) count only at either end; the invisible ones anywhere.
  static constexpr std::string_view kSpaces[] = {" ", "\t", "\u00a0", "\u3000", "\u202f"};
  static constexpr std::string_view kInvisible[] = {"\u200b", "\u200c", "\u200d",
                                                    "\u2060", "\ufeff", "\u00ad"};
  auto fail = [&](const std::string& what) {
    throw Error::expected(kind, "an enterprise id without " + what, "\"" + shown_id(id) + "\"",
                          mark);
  };
  for (const auto space : kSpaces) {
    if (id.size() >= space.size() &&
        (id.compare(0, space.size(), space) == 0 ||
         id.compare(id.size() - space.size(), space.size(), space) == 0)) {
      fail("spaces around it");
    }
  }
  for (const auto invisible : kInvisible) {
    if (id.find(invisible) != std::string::npos)
      fail("invisible characters (zero-width space, soft hyphen)");
  }
  for (const char c : id) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) fail("control characters");
  }
}

std::string describe(const RawValue& value) {
  switch (value.kind) {
    case RawValue::Kind::null:
      return "nothing";
    case RawValue::Kind::text: {
      if (value.text.size() <= 40) return "\"" + value.text + "\"";
      std::size_t cut = 40;  // never inside a UTF-8 character: back off its continuation bytes
      while (cut > 0 && (static_cast<unsigned char>(value.text[cut]) & 0xC0) == 0x80) --cut;
      return "\"" + value.text.substr(0, cut) + "…\"";
    }
    case RawValue::Kind::list:
      return "a list";
    case RawValue::Kind::map:
      return "a map";
  }
  return "a value";
}

const RawValue* find(const RawValue& map, const std::string& key) {
  for (const auto& [k, v] : map.entries) {
    if (k == key) return &v;
  }
  return nullptr;
}

}  // namespace subsidy::detail
