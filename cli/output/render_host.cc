#include "cli/output/render_host.h"

#include "cli/output/cells.h"
#include "cli/output/table.h"
#include "common/sizes.h"

namespace xenia::cli {

std::string RenderHostInfo(const xenia::v1::Host& host) {
  return RenderKeyValues({
      {"name", OrDash(host.name())},
      {"hostname", OrDash(host.hostname())},
      {"backend", OrDash(host.backend())},
      {"backend reason", OrDash(host.backend_reason())},
      {"hypervisor", OrDash(host.hypervisor_version())},
      {"xeniad version", OrDash(host.xeniad_version())},
      {"cpus", std::to_string(host.cpus())},
      {"total memory", FormatMib(host.total_memory_mib())},
      {"free memory", FormatMib(host.free_memory_mib())},
      {"dom0 memory", FormatMib(host.dom0_memory_mib())},
      {"defined domains", std::to_string(host.defined_domains())},
      {"running domains", std::to_string(host.running_domains())},
      {"unmanaged domains", std::to_string(host.unmanaged_domains())},
      {"PV live migration",
       host.pv_live_migration() ? "yes" : "no (Xen has no shadow paging; use --no-live)"},
      {"started", FormatTimestamp(host.start_time())},
  });
}

}  // namespace xenia::cli
