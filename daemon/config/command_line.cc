#include "daemon/config/command_line.h"

#include <optional>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "common/sizes.h"
#include "daemon/hypervisor/devices.h"
#include "daemon/version.h"

namespace xenia {

CommandLine ParseCommandLine(int argc, char** argv) {
  CommandLine out;
  CLI::App app{
      "xeniad: the Xenia daemon. It manages this host's Xen domains (or, off Xen, a "
      "simulated hypervisor's) and serves the xenia.v1 gRPC API on a unix socket.",
      "xeniad"};
  std::string config_file;
  std::optional<std::string> state_dir, socket, socket_group, listen, backend, log_level, host_id,
      sim_memory, sim_dom0_memory, sim_boot_time, sim_shutdown_time, sim_state_file, image_dir,
      sim_dirty_rate, sim_shadow_paging, peer_token_file, sim_pci, sim_detach_timeout;
  std::optional<int> workers, sim_cpus;
  bool version = false;
  app.add_option("--config", config_file, "YAML config file (see xeniad.example.yaml)");
  app.add_option("--state-dir", state_dir, "Directory for the database and the lock");
  app.add_option("--image-dir", image_dir,
                 "Directory of save images (default: <state-dir>/images)");
  app.add_option("--socket", socket, "Unix socket to serve on");
  app.add_option("--socket-group", socket_group, "Group whose members may use the socket");
  app.add_option("--listen", listen, "Also serve gRPC on HOST:PORT (loopback only until TLS)");
  app.add_option("--peer-token-file", peer_token_file,
                 "File with the secret this fleet's daemons share to migrate domains");
  app.add_option("--backend", backend, "auto | sim | libxl");
  app.add_option("--log-level", log_level, "debug | info | warning | error");
  app.add_option("--host-id", host_id, "This host's id in resource names (default: hostname)");
  app.add_option("--workers", workers, "Threads that run operations");
  app.add_option("--sim-state-file", sim_state_file, "The simulated host's state file");
  app.add_option("--sim-memory", sim_memory, "Simulated host memory, e.g. 16G");
  app.add_option("--sim-cpus", sim_cpus, "Simulated host CPUs");
  app.add_option("--sim-dom0-memory", sim_dom0_memory, "Memory held by the simulated dom0");
  app.add_option("--sim-boot-time", sim_boot_time, "How long simulated guests take to boot");
  app.add_option("--sim-shutdown-time", sim_shutdown_time,
                 "How long simulated guests take to shut down");
  app.add_option("--sim-dirty-rate", sim_dirty_rate,
                 "Memory a running simulated guest dirties per second, e.g. 10M");
  app.add_option("--sim-pci", sim_pci,
                 "PCI devices the simulated host can pass through, e.g. 0000:03:00.0,0000:04:00.0");
  app.add_option("--sim-detach-timeout", sim_detach_timeout,
                 "How long a detach waits for a simulated guest to release the device");
  app.add_option("--sim-shadow-paging", sim_shadow_paging,
                 "true | false: whether the simulated Xen can save PV guests live");
  app.add_flag("--version", version, "Print the version and exit");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    out.exit_now = true;
    out.message = app.help();
    return out;
  } catch (const CLI::ParseError& e) {
    out.exit_now = true;
    out.exit_code = 2;
    out.message = absl::StrCat("xeniad: ", e.what(), "\nRun with --help for the options.");
    return out;
  }
  if (version) {
    out.exit_now = true;
    out.message = absl::StrCat("xeniad ", kXeniaVersion);
    return out;
  }

  DaemonConfig config;
  if (!config_file.empty()) {
    absl::StatusOr<DaemonConfig> loaded = LoadConfigFile(config_file, config);
    if (!loaded.ok()) {
      out.exit_now = true;
      out.exit_code = 2;
      out.message = absl::StrCat("xeniad: ", loaded.status().message());
      return out;
    }
    config = *std::move(loaded);
    out.config_file = config_file;
  }
  auto fail = [&out](std::string message) {
    out.exit_now = true;
    out.exit_code = 2;
    out.message = absl::StrCat("xeniad: ", message);
    return out;
  };
  if (state_dir) config.state_dir = *state_dir;
  if (image_dir) config.image_dir = *image_dir;
  if (socket) config.socket = *socket;
  if (socket_group) config.socket_group = *socket_group;
  if (listen) config.listen = *listen;
  if (peer_token_file) config.peer_token_file = *peer_token_file;
  if (backend) config.backend = *backend;
  if (log_level) config.log_level = *log_level;
  if (host_id) config.host_id = *host_id;
  if (workers) {
    if (*workers < 1) return fail("--workers: at least 1");
    config.workers = *workers;
  }
  if (sim_state_file) config.sim.state_file = *sim_state_file;
  if (sim_cpus) {
    if (*sim_cpus < 1) return fail("--sim-cpus: at least 1");
    config.sim.cpus = *sim_cpus;
  }
  for (auto [flag, text, out_mib] :
       {std::tuple{"--sim-memory", &sim_memory, &config.sim.total_memory_mib},
        std::tuple{"--sim-dom0-memory", &sim_dom0_memory, &config.sim.dom0_memory_mib}}) {
    if (!text->has_value()) continue;
    absl::StatusOr<int64_t> mib = ParseSizeMib(**text);
    if (!mib.ok() || *mib <= 0)
      return fail(absl::StrCat(flag, ": \"", **text, "\" is not a size such as 16G"));
    *out_mib = *mib;
  }
  for (auto [flag, text, out_duration] :
       {std::tuple{"--sim-boot-time", &sim_boot_time, &config.sim.boot_time},
        std::tuple{"--sim-shutdown-time", &sim_shutdown_time, &config.sim.shutdown_time},
        std::tuple{"--sim-detach-timeout", &sim_detach_timeout,
                   &config.sim.device_release_timeout}}) {
    if (!text->has_value()) continue;
    if (!absl::ParseDuration(**text, out_duration) || *out_duration < absl::ZeroDuration()) {
      return fail(absl::StrCat(flag, ": \"", **text, "\" is not a duration such as 2s"));
    }
  }
  if (sim_pci) {
    absl::StatusOr<std::vector<std::string>> list = hv::ParsePciAddressList(*sim_pci);
    if (!list.ok()) {
      return fail(absl::StrCat("--sim-pci: ", list.status().message(),
                               " is not a PCI address such as 0000:03:00.0"));
    }
    config.sim.assignable_pci = *std::move(list);
  }
  if (sim_dirty_rate) {
    absl::StatusOr<int64_t> bytes = ParseSizeBytes(*sim_dirty_rate);
    if (!bytes.ok()) {
      return fail(absl::StrCat("--sim-dirty-rate: \"", *sim_dirty_rate,
                               "\" is not a size such as 10M (bytes per second)"));
    }
    config.sim.dirty_bytes_per_second = *bytes;
  }
  if (sim_shadow_paging) {
    if (*sim_shadow_paging != "true" && *sim_shadow_paging != "false") {
      return fail(
          absl::StrCat("--sim-shadow-paging: \"", *sim_shadow_paging, "\" is not true or false"));
    }
    config.sim.shadow_paging = *sim_shadow_paging == "true";
  }
  if (absl::Status s = ValidateConfig(config); !s.ok()) return fail(std::string(s.message()));
  out.config = std::move(config);
  return out;
}

}  // namespace xenia
