#include "cli/output/table.h"

#include <algorithm>

namespace xenia::cli {
namespace {

size_t DisplayWidth(const std::string& s) {
  size_t n = 0;
  for (char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

void AppendPadded(std::string* line, const std::string& cell, size_t width, Align align,
                  bool last) {
  const size_t pad = width - std::min(width, DisplayWidth(cell));
  if (align == Align::kRight) line->append(pad, ' ');
  line->append(cell);
  if (align == Align::kLeft && !last) line->append(pad, ' ');
}

}  // namespace

Table::Table(std::vector<Column> columns) : columns_(std::move(columns)) {}

void Table::AddRow(std::vector<std::string> cells) {
  cells.resize(columns_.size());
  rows_.push_back(std::move(cells));
}

std::string Table::Render() const {
  std::vector<size_t> widths(columns_.size());
  for (size_t c = 0; c < columns_.size(); ++c) {
    widths[c] = DisplayWidth(columns_[c].header);
    for (const auto& row : rows_) widths[c] = std::max(widths[c], DisplayWidth(row[c]));
  }
  std::string out;
  auto append_line = [&](auto cell_at) {
    std::string line;
    for (size_t c = 0; c < columns_.size(); ++c) {
      if (c > 0) line.append("  ");
      AppendPadded(&line, cell_at(c), widths[c], columns_[c].align, c + 1 == columns_.size());
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out.append(line);
    out.push_back('\n');
  };
  append_line([&](size_t c) -> const std::string& { return columns_[c].header; });
  for (const auto& row : rows_) {
    append_line([&](size_t c) -> const std::string& { return row[c]; });
  }
  return out;
}

std::string RenderKeyValues(const std::vector<std::pair<std::string, std::string>>& rows) {
  size_t width = 0;
  for (const auto& [key, value] : rows) width = std::max(width, DisplayWidth(key));
  std::string out;
  for (const auto& [key, value] : rows) {
    out.append(key);
    out.push_back(':');
    out.append(width - DisplayWidth(key) + 1, ' ');
    out.append(value);
    out.push_back('\n');
  }
  return out;
}

}  // namespace xenia::cli
