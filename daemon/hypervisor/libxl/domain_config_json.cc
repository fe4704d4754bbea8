#include "daemon/hypervisor/libxl/domain_config_json.h"

namespace xenia::hv {

std::string DomainConfigToJson(libxl_domain_config* cfg) {
  // libxl_json.h's own allocator: yajl 2 with beautify on, 4-space indents.
  yajl_gen gen = libxl_yajl_gen_alloc(nullptr);
  if (gen == nullptr) return "";
  std::string json;
  if (libxl_domain_config_gen_json(gen, cfg) == yajl_gen_status_ok) {
    const unsigned char* buf = nullptr;
    size_t len = 0;
    if (yajl_gen_get_buf(gen, &buf, &len) == yajl_gen_status_ok) {
      json.assign(reinterpret_cast<const char*>(buf), len);
      if (json.empty() || json.back() != '\n') json.push_back('\n');
    }
  }
  yajl_gen_free(gen);
  return json;
}

}  // namespace xenia::hv
