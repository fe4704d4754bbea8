// The values the command line binds to, one struct per command family. The
// CLI11 tree writes them while parsing; the commands read them when they run;
// tests read them to check what a command line selected.
//
// Thread-compatible: filled and read on the CLI's main thread.
#pragma once

#include <cstdint>
#include <string>

#include "cli/command_env.h"
#include "cli/create_flags.h"
#include "cli/migrate_flags.h"

namespace xenia::cli {

// --wait, --wait-timeout and --request-id, which every mutating verb takes.
struct MutationFlags {
  bool wait = false;
  // Empty: wait as long as it takes.
  std::string wait_timeout;
  std::string request_id;
};

// start, shutdown, reboot, destroy, pause, unpause, delete.
struct DomainVerbOptions {
  std::string name;
  MutationFlags mutation;
  // shutdown, reboot: how long the guest has; empty lets xeniad choose.
  std::string timeout;
  bool force = false;
  // start.
  bool paused = false;
};

struct SaveOptions {
  std::string name;
  // A path under xeniad's image directory, passed through unchanged (empty:
  // xeniad chooses); "-" streams the image to stdout instead.
  std::string file;
  // Keep the domain running.
  bool checkpoint = false;
  MutationFlags mutation;
};

struct RestoreOptions {
  // A domain NAME, an image FILE or resource name, or "-" for stdin
  // (cli/restore_source.h).
  std::string source;
  bool paused = false;
  MutationFlags mutation;
};

struct MigrateOptions {
  std::string name;
  // HOST:PORT, --live/--no-live and the pre-copy limits.
  MigrateFlags flags;
  MutationFlags mutation;
};

struct CreateOptions {
  // The spec file; "-" is stdin; empty when the flags describe the domain.
  std::string file;
  // --format: "xl", "yaml" or "json"; empty: by the file's name and text.
  std::string format;
  CreateFlags flags;
  bool start = false;
  MutationFlags mutation;
};

// mem-set, mem-max, vcpu-set.
struct ResourceOptions {
  std::string name;
  // mem-set, mem-max: SIZE.
  std::string size;
  // vcpu-set: N.
  int vcpus = 0;
  MutationFlags mutation;
};

// block-*, network-*, pci-*.
struct DeviceOptions {
  std::string name;
  // attach: the device in xl syntax (a vif spec may be empty); detach: the
  // vdev, MAC or index, or BDF.
  std::string device;
  // Also change the domain's definition.
  bool persistent = false;
  // detach: without the guest's consent.
  bool force = false;
  MutationFlags mutation;
};

struct ConfigOptions {
  std::string name;
  std::string format = "xl";
};

struct ListOptions {
  std::string state;
};

struct InfoOptions {
  std::string name;
};

struct OpsOptions {
  // get, wait, cancel: a full operation name or a bare id.
  std::string id;
  // list.
  std::string domain;
  std::string state;
  // wait.
  std::string timeout = "60s";
  // cancel.
  std::string request_id;
};

struct EventsOptions {
  // -1 (not given): only new events.
  int64_t since = -1;
  std::string domain;
  // Stop after this many events (0: follow until interrupted).
  int64_t count = 0;
  // Print the retained events and exit instead of following.
  bool no_follow = false;
};

struct SimOptions {
  std::string name;
  bool ignore_shutdown = false;
  // Whether --ignore-shutdown was given at all (otherwise the guest keeps
  // its current setting).
  bool ignore_shutdown_given = false;
  bool refuse_detach = false;
  bool refuse_detach_given = false;
  std::string request_id;
  std::string crash_after;
  std::string poweroff_after;
  std::string shutdown_time;
  std::string dirty_rate;
  std::string balloon_floor;
  std::string balloon_rate;
  // sim create-unmanaged.
  std::string memory = "128M";
  int vcpus = 1;
};

struct CommandOptions {
  GlobalOptions global;
  DomainVerbOptions domain;
  SaveOptions save;
  RestoreOptions restore;
  MigrateOptions migrate;
  CreateOptions create;
  ConfigOptions config;
  ResourceOptions resources;
  DeviceOptions devices;
  ListOptions list;
  InfoOptions info;
  OpsOptions ops;
  EventsOptions events;
  SimOptions sim;
};

}  // namespace xenia::cli
