#include "daemon/api/list_filter.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace xenia {
namespace {

struct Token {
  enum Kind { kWord, kString, kEq, kNe, kEnd } kind;
  std::string text;
  size_t pos;
};

absl::StatusOr<std::vector<Token>> Tokenize(absl::string_view text) {
  std::vector<Token> tokens;
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (absl::ascii_isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '=') {
      tokens.push_back({Token::kEq, "=", i++});
    } else if (c == '!' && i + 1 < text.size() && text[i + 1] == '=') {
      tokens.push_back({Token::kNe, "!=", i});
      i += 2;
    } else if (c == '"') {
      size_t start = i++;
      std::string value;
      while (i < text.size() && text[i] != '"') {
        if (text[i] == '\\' && i + 1 < text.size()) ++i;
        value.push_back(text[i++]);
      }
      if (i >= text.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat("filter: unterminated string starting at position ", start + 1));
      }
      ++i;
      tokens.push_back({Token::kString, value, start});
    } else {
      size_t start = i;
      while (i < text.size() && !absl::ascii_isspace(static_cast<unsigned char>(text[i])) &&
             text[i] != '=' && text[i] != '!' && text[i] != '"') {
        ++i;
      }
      if (i == start) {
        return absl::InvalidArgumentError(
            absl::StrCat("filter: unexpected '", std::string(1, c), "' at position ", i + 1));
      }
      tokens.push_back({Token::kWord, std::string(text.substr(start, i - start)), start});
    }
  }
  tokens.push_back({Token::kEnd, "", text.size()});
  return tokens;
}

}  // namespace

absl::StatusOr<ListFilter> ListFilter::Parse(absl::string_view text,
                                             const std::vector<std::string>& known_fields) {
  ListFilter filter;
  absl::StatusOr<std::vector<Token>> tokens = Tokenize(text);
  if (!tokens.ok()) return tokens.status();
  if (tokens->size() == 1) return filter;
  size_t i = 0;
  std::vector<Comparison> conjunction;
  while (true) {
    const Token& field = (*tokens)[i];
    if (field.kind != Token::kWord) {
      return absl::InvalidArgumentError(
          absl::StrCat("filter: expected a field name at position ", field.pos + 1));
    }
    if (std::find(known_fields.begin(), known_fields.end(), field.text) == known_fields.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("filter: unknown field \"", field.text,
                       "\" (known: ", absl::StrJoin(known_fields, ", "), ")"));
    }
    const Token& op = (*tokens)[i + 1];
    if (op.kind != Token::kEq && op.kind != Token::kNe) {
      return absl::InvalidArgumentError(
          absl::StrCat("filter: expected = or != after \"", field.text, "\""));
    }
    const Token& value = (*tokens)[i + 2];
    if (value.kind != Token::kWord && value.kind != Token::kString) {
      return absl::InvalidArgumentError(
          absl::StrCat("filter: expected a value after \"", field.text, " ", op.text, "\""));
    }
    conjunction.push_back({field.text, op.kind == Token::kEq, value.text});
    i += 3;
    const Token& next = (*tokens)[i];
    if (next.kind == Token::kEnd) break;
    if (next.kind == Token::kWord && next.text == "AND") {
      ++i;
    } else if (next.kind == Token::kWord && next.text == "OR") {
      filter.clauses_.push_back(std::move(conjunction));
      conjunction.clear();
      ++i;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("filter: expected AND or OR at position ",
                                                     next.pos + 1, ", got \"", next.text, "\""));
    }
  }
  filter.clauses_.push_back(std::move(conjunction));
  return filter;
}

bool ListFilter::Matches(
    const std::function<bool(const std::string&, const std::string&)>& value_of) const {
  if (clauses_.empty()) return true;
  for (const auto& conjunction : clauses_) {
    bool all = true;
    for (const Comparison& c : conjunction) {
      if (value_of(c.field, c.value) != c.equal) {
        all = false;
        break;
      }
    }
    if (all) return true;
  }
  return false;
}

bool GlobMatch(absl::string_view pattern, absl::string_view text) {
  size_t p = 0, t = 0, star = absl::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != absl::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace xenia
