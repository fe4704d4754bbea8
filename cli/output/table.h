// Plain-text layouts for table output: column tables like `xl list` prints,
// and aligned "key: value" lists for a single resource.
//
// Thread-compatible: a Table is built and rendered by one thread.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace xenia::cli {

enum class Align { kLeft, kRight };

class Table {
 public:
  struct Column {
    std::string header;
    Align align = Align::kLeft;
  };

  explicit Table(std::vector<Column> columns);

  // Missing cells are blank; extra cells are dropped.
  void AddRow(std::vector<std::string> cells);

  // The header line and one line per row, columns two spaces apart, no
  // trailing blanks; widths count UTF-8 characters.
  std::string Render() const;

 private:
  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

// "key:" padded so that the values line up, one pair per line.
std::string RenderKeyValues(const std::vector<std::pair<std::string, std::string>>& rows);

}  // namespace xenia::cli
