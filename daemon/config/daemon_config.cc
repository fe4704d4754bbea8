#include "daemon/config/daemon_config.h"

#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/logger.h"
#include "common/sizes.h"
#include "daemon/hypervisor/devices.h"
#include "yaml-cpp/yaml.h"

namespace xenia {
namespace {

using Setter = std::function<absl::Status(const std::string& value)>;

absl::Status Bad(const std::string& key, const std::string& value, absl::string_view want) {
  return absl::InvalidArgumentError(absl::StrCat(key, ": \"", value, "\" is not ", want));
}

Setter String(std::string* out) {
  return [out](const std::string& v) {
    *out = v;
    return absl::OkStatus();
  };
}

Setter Int(const std::string& key, int32_t* out, int32_t min) {
  return [key, out, min](const std::string& v) {
    if (!absl::SimpleAtoi(v, out) || *out < min) {
      return Bad(key, v, absl::StrCat("a whole number of at least ", min));
    }
    return absl::OkStatus();
  };
}

Setter Mib(const std::string& key, int64_t* out) {
  return [key, out](const std::string& v) {
    absl::StatusOr<int64_t> mib = ParseSizeMib(v);
    if (!mib.ok() || *mib <= 0) return Bad(key, v, "a size such as 512M or 16G");
    *out = *mib;
    return absl::OkStatus();
  };
}

Setter Bytes(const std::string& key, int64_t* out) {
  return [key, out](const std::string& v) {
    absl::StatusOr<int64_t> bytes = ParseSizeBytes(v);
    if (!bytes.ok()) return Bad(key, v, "a size such as 0, 64K or 10M");
    *out = *bytes;
    return absl::OkStatus();
  };
}

Setter Duration(const std::string& key, absl::Duration* out) {
  return [key, out](const std::string& v) {
    if (!absl::ParseDuration(v, out) || *out < absl::ZeroDuration()) {
      return Bad(key, v, "a duration such as 500ms, 2s or 1m");
    }
    return absl::OkStatus();
  };
}

Setter Bool(const std::string& key, bool* out) {
  return [key, out](const std::string& v) {
    if (v == "true") {
      *out = true;
    } else if (v == "false") {
      *out = false;
    } else {
      return Bad(key, v, "true or false");
    }
    return absl::OkStatus();
  };
}

Setter Fraction(const std::string& key, double* out) {
  return [key, out](const std::string& v) {
    if (!absl::SimpleAtod(v, out) || *out < 0 || *out > 1) {
      return Bad(key, v, "a number between 0 and 1");
    }
    return absl::OkStatus();
  };
}

// A comma-separated list of PCI addresses ("" for none).
Setter PciList(std::vector<std::string>* out) {
  return [out](const std::string& v) {
    absl::StatusOr<std::vector<std::string>> list = hv::ParsePciAddressList(v);
    if (!list.ok()) {
      return Bad("sim.assignable_pci", v, "PCI addresses such as 0000:03:00.0, comma-separated");
    }
    *out = *std::move(list);
    return absl::OkStatus();
  };
}

std::map<std::string, Setter> Keys(DaemonConfig& c) {
  return {
      {"state_dir", String(&c.state_dir)},
      {"image_dir", String(&c.image_dir)},
      {"socket", String(&c.socket)},
      {"socket_group", String(&c.socket_group)},
      {"listen", String(&c.listen)},
      {"peer_token_file", String(&c.peer_token_file)},
      {"backend", String(&c.backend)},
      {"log_level", String(&c.log_level)},
      {"host_id", String(&c.host_id)},
      {"workers", Int("workers", &c.workers, 1)},
      {"max_queue_per_domain", Int("max_queue_per_domain", &c.max_queue_per_domain, 1)},
      {"status_refresh_interval", Duration("status_refresh_interval", &c.status_refresh_interval)},
      {"shutdown_grace", Duration("shutdown_grace", &c.shutdown_grace)},
      {"event_retention", Int("event_retention", &c.event_retention, 1)},
      {"event_watcher_buffer", Int("event_watcher_buffer", &c.event_watcher_buffer, 1)},
      {"sim.state_file", String(&c.sim.state_file)},
      {"sim.memory", Mib("sim.memory", &c.sim.total_memory_mib)},
      {"sim.cpus", Int("sim.cpus", &c.sim.cpus, 1)},
      {"sim.dom0_memory", Mib("sim.dom0_memory", &c.sim.dom0_memory_mib)},
      {"sim.max_domains", Int("sim.max_domains", &c.sim.max_domains, 2)},
      {"sim.create_time", Duration("sim.create_time", &c.sim.create_time)},
      {"sim.boot_time", Duration("sim.boot_time", &c.sim.boot_time)},
      {"sim.shutdown_time", Duration("sim.shutdown_time", &c.sim.shutdown_time)},
      {"sim.cpu_load", Fraction("sim.cpu_load", &c.sim.cpu_load)},
      {"sim.dirty_rate", Bytes("sim.dirty_rate", &c.sim.dirty_bytes_per_second)},
      {"sim.shadow_paging", Bool("sim.shadow_paging", &c.sim.shadow_paging)},
      {"sim.assignable_pci", PciList(&c.sim.assignable_pci)},
      {"sim.device_release_timeout",
       Duration("sim.device_release_timeout", &c.sim.device_release_timeout)},
  };
}

absl::Status Apply(const YAML::Node& node, const std::string& prefix,
                   std::map<std::string, Setter>& keys) {
  for (const auto& item : node) {
    std::string key = prefix + item.first.as<std::string>();
    if (item.second.IsMap()) {
      if (absl::Status s = Apply(item.second, key + ".", keys); !s.ok()) return s;
      continue;
    }
    auto it = keys.find(key);
    if (it == keys.end())
      return absl::InvalidArgumentError(absl::StrCat("unknown key \"", key, "\""));
    if (!item.second.IsScalar()) {
      return absl::InvalidArgumentError(absl::StrCat(key, ": expected a single value"));
    }
    if (absl::Status s = it->second(item.second.as<std::string>()); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<std::string> KnownConfigKeys() {
  DaemonConfig scratch;
  std::vector<std::string> keys;
  for (const auto& [key, setter] : Keys(scratch)) keys.push_back(key);
  return keys;
}

absl::StatusOr<DaemonConfig> LoadConfigFile(const std::string& path, DaemonConfig base) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("config file ", path, " cannot be read"));
  std::stringstream text;
  text << in.rdbuf();
  YAML::Node root;
  try {
    root = YAML::Load(text.str());
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", e.what()));
  }
  if (root.IsNull()) return base;
  if (!root.IsMap()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": expected a mapping of keys to values"));
  }
  std::map<std::string, Setter> keys = Keys(base);
  absl::Status applied;
  try {
    applied = Apply(root, "", keys);
  } catch (const YAML::Exception& e) {
    applied = absl::InvalidArgumentError(e.what());
  }
  if (!applied.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", applied.message()));
  }
  return base;
}

absl::Status ValidateConfig(const DaemonConfig& c) {
  if (c.backend != "auto" && c.backend != "sim" && c.backend != "libxl") {
    return absl::InvalidArgumentError(
        absl::StrCat("backend: \"", c.backend, "\" is not one of auto, sim, libxl"));
  }
  LogLevel level;
  if (!ParseLogLevel(c.log_level, &level)) {
    return absl::InvalidArgumentError(
        absl::StrCat("log_level: \"", c.log_level, "\" is not one of debug, info, warning, error"));
  }
  if (c.state_dir.empty()) return absl::InvalidArgumentError("state_dir: required");
  if (c.socket.empty()) return absl::InvalidArgumentError("socket: required");
  if (c.sim.dom0_memory_mib >= c.sim.total_memory_mib) {
    return absl::InvalidArgumentError(absl::StrCat("sim.dom0_memory (", c.sim.dom0_memory_mib,
                                                   " MiB) must be less than sim.memory (",
                                                   c.sim.total_memory_mib, " MiB)"));
  }
  if (c.status_refresh_interval < absl::Milliseconds(100)) {
    return absl::InvalidArgumentError("status_refresh_interval: at least 100ms");
  }
  return absl::OkStatus();
}

}  // namespace xenia
