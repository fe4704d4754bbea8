#include "daemon/hypervisor/libxl/xeniad_mark.h"

#include <cstdlib>
#include <cstring>

namespace xenia::hv {
namespace {

constexpr char kMarkKey[] = "xenia-made-by";
constexpr char kMarkValue[] = "xeniad";

size_t Entries(const libxl_key_value_list list) {
  size_t n = 0;
  if (list != nullptr) {
    while (list[n] != nullptr) ++n;
  }
  return n;
}

}  // namespace

void AddXeniadMark(libxl_domain_config* cfg) {
  if (HasXeniadMark(*cfg)) return;
  // A NULL-terminated array of key, value, key, value, ... that
  // libxl_domain_config_dispose frees with free().
  libxl_key_value_list& list = cfg->c_info.xsdata;
  const size_t n = Entries(list);
  auto* grown = static_cast<char**>(realloc(list, (n + 3) * sizeof(char*)));
  if (grown == nullptr) abort();
  grown[n] = strdup(kMarkKey);
  grown[n + 1] = strdup(kMarkValue);
  grown[n + 2] = nullptr;
  if (grown[n] == nullptr || grown[n + 1] == nullptr) abort();
  list = grown;
}

bool HasXeniadMark(const libxl_domain_config& cfg) {
  const libxl_key_value_list list = cfg.c_info.xsdata;
  const size_t n = Entries(list);
  for (size_t i = 0; i + 1 < n; i += 2) {
    if (strcmp(list[i], kMarkKey) == 0 && strcmp(list[i + 1], kMarkValue) == 0) return true;
  }
  return false;
}

}  // namespace xenia::hv
