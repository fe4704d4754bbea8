// xenia block-attach/-detach/-list, network-attach/-detach/-list,
// pci-attach/-detach/-list and pci-assignable-list: a domain's devices, as
// xl's verbs of the same names. Devices are given in xl's own syntax
// (xl-disk-configuration(5), xl-network-configuration(5),
// xl-pci-configuration(5)); xeniad reads it.

#include <cctype>

#include "absl/strings/str_cat.h"
#include "cli/commands/commands.h"
#include "cli/connection.h"
#include "cli/exit_codes.h"
#include "cli/output/table.h"
#include "cli/resource_names.h"

namespace xenia::cli {
namespace {

using xenia::v1::DeviceStatus;

CLI::App* AddDeviceVerb(CLI::App& app, const std::string& verb, const std::string& help,
                        DeviceOptions& o) {
  CLI::App* cmd = app.add_subcommand(verb, help);
  cmd->add_option("NAME", o.name, "The domain")->required();
  AddMutationFlags(cmd, &o.mutation);
  return cmd;
}

void AddPersistentFlag(CLI::App* cmd, DeviceOptions& o, const std::string& what) {
  cmd->add_flag("--persistent", o.persistent,
                absl::StrCat("Also ", what,
                             " the domain's definition (the only change allowed while it is "
                             "shut off)"));
}

void AddForceFlag(CLI::App* cmd, DeviceOptions& o) {
  cmd->add_flag("--force,-f", o.force,
                "Remove the device without waiting for the guest to release it (it may lose "
                "writes it has not flushed)");
}

// State as the table shows it: "attached", "detaching", ...
std::string StateCell(const DeviceStatus& d) {
  std::string state = DeviceStatus::State_Name(d.state());
  for (char& c : state) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return state == "state_unspecified" ? "" : state;
}

std::string Dash(const std::string& s) { return s.empty() ? "-" : s; }

std::string RenderDevices(DeviceStatus::Kind kind,
                          const google::protobuf::RepeatedPtrField<DeviceStatus>& devices) {
  std::vector<Table::Column> columns;
  switch (kind) {
    case DeviceStatus::DISK:
      columns = {{"VDEV"},  {"DEVID", Align::kRight}, {"STATE"}, {"BACKEND"}, {"FRONTEND"},
                 {"TARGET"}};
      break;
    case DeviceStatus::NETWORK_INTERFACE:
      columns = {{"IDX", Align::kRight}, {"MAC"}, {"STATE"}, {"BACKEND"}, {"FRONTEND"}, {"BRIDGE"}};
      break;
    default:
      columns = {{"BDF"}, {"VSLOT"}, {"STATE"}, {"OPTIONS"}};
      break;
  }
  Table table(columns);
  for (const DeviceStatus& d : devices) {
    switch (kind) {
      case DeviceStatus::DISK:
        table.AddRow({d.id(), absl::StrCat(d.devid()), StateCell(d), Dash(d.backend_state()),
                      Dash(d.frontend_state()), Dash(d.disk().target())});
        break;
      case DeviceStatus::NETWORK_INTERFACE:
        table.AddRow({absl::StrCat(d.devid()), d.id(), StateCell(d), Dash(d.backend_state()),
                      Dash(d.frontend_state()), Dash(d.network_interface().bridge())});
        break;
      default: {
        std::string options;
        if (d.pci_device().permissive()) absl::StrAppend(&options, "permissive ");
        if (d.pci_device().seize()) absl::StrAppend(&options, "seize ");
        if (!options.empty()) options.pop_back();
        table.AddRow({d.id(), Dash(d.pci_device().vdevfn()), StateCell(d), Dash(options)});
        break;
      }
    }
  }
  return table.Render();
}

int RunList(CommandEnv& env, const std::string& name, DeviceStatus::Kind kind) {
  xenia::v1::ListDomainDevicesRequest request;
  request.set_name(DomainResourceName(name));
  request.set_kind(kind);
  grpc::ClientContext ctx;
  SetDeadline(&ctx, kUnaryDeadline);
  xenia::v1::ListDomainDevicesResponse response;
  const grpc::Status status = env.conn().domains().ListDomainDevices(&ctx, request, &response);
  if (!status.ok()) return env.RpcError(status);
  if (!env.table()) return env.PrintMessage(response);
  env.out() << RenderDevices(kind, response.devices());
  return kExitOk;
}

int RunAssignableList(CommandEnv& env) {
  xenia::v1::ListAssignablePciDevicesRequest request;
  request.set_parent(std::string(kThisHost));
  grpc::ClientContext ctx;
  SetDeadline(&ctx, kUnaryDeadline);
  xenia::v1::ListAssignablePciDevicesResponse response;
  const grpc::Status status = env.conn().hosts().ListAssignablePciDevices(&ctx, request, &response);
  if (!status.ok()) return env.RpcError(status);
  if (!env.table()) return env.PrintMessage(response);
  Table table({{"BDF"}, {"DOMAIN"}, {"DOMID", Align::kRight}});
  for (const xenia::v1::AssignablePciDevice& d : response.devices()) {
    table.AddRow({d.bdf(), d.domain().empty() ? "-" : std::string(LastSegment(d.domain())),
                  d.has_domid() ? absl::StrCat(d.domid()) : "-"});
  }
  env.out() << table.Render();
  return kExitOk;
}

}  // namespace

void AddDeviceCommands(CLI::App& app, DeviceOptions& o, CommandRegistry& registry) {
  using Stub = xenia::v1::DomainService::StubInterface;

  CLI::App* block_attach =
      AddDeviceVerb(app, "block-attach", "Hot-plug a disk into a running domain", o);
  block_attach
      ->add_option("DISKSPEC", o.device,
                   "The disk in xl syntax: 'format=raw,vdev=xvdb,access=rw,target=/srv/d.img'")
      ->required();
  AddPersistentFlag(block_attach, o, "add it to");
  registry.Add(block_attach, "block-attach", [&o](CommandEnv& env) {
    xenia::v1::AttachDiskRequest request;
    request.set_disk_spec(o.device);
    request.set_persistent(o.persistent);
    return SubmitDomainOperation(env, o.name, o.mutation, &Stub::AttachDisk, request);
  });

  CLI::App* block_detach = AddDeviceVerb(
      app, "block-detach",
      "Ask a domain's guest to release a disk and remove it (it times out if the guest does "
      "not)",
      o);
  block_detach->add_option("VDEV", o.device, "The disk's vdev, e.g. xvdb")->required();
  AddPersistentFlag(block_detach, o, "remove it from");
  AddForceFlag(block_detach, o);
  registry.Add(block_detach, "block-detach", [&o](CommandEnv& env) {
    xenia::v1::DetachDiskRequest request;
    request.set_vdev(o.device);
    request.set_persistent(o.persistent);
    request.set_force(o.force);
    return SubmitDomainOperation(env, o.name, o.mutation, &Stub::DetachDisk, request);
  });

  CLI::App* block_list = app.add_subcommand("block-list", "List a domain's disks (xl block-list)");
  block_list->add_option("NAME", o.name, "The domain")->required();
  registry.Add(block_list, "block-list",
               [&o](CommandEnv& env) { return RunList(env, o.name, DeviceStatus::DISK); });

  CLI::App* net_attach =
      AddDeviceVerb(app, "network-attach", "Hot-plug a network interface into a running domain", o);
  net_attach->add_option(
      "VIFSPEC", o.device,
      "The interface in xl syntax: 'bridge=xenbr0,mac=00:16:3e:01:02:03' (empty: defaults)");
  AddPersistentFlag(net_attach, o, "add it to");
  registry.Add(net_attach, "network-attach", [&o](CommandEnv& env) {
    xenia::v1::AttachNetworkInterfaceRequest request;
    request.set_vif_spec(o.device);
    request.set_persistent(o.persistent);
    return SubmitDomainOperation(env, o.name, o.mutation, &Stub::AttachNetworkInterface, request);
  });

  CLI::App* net_detach =
      AddDeviceVerb(app, "network-detach", "Remove a network interface from a running domain", o);
  net_detach->add_option("MAC|INDEX", o.device, "The interface's MAC, or its index (IDX)")
      ->required();
  AddPersistentFlag(net_detach, o, "remove it from");
  AddForceFlag(net_detach, o);
  registry.Add(net_detach, "network-detach", [&o](CommandEnv& env) {
    xenia::v1::DetachNetworkInterfaceRequest request;
    request.set_mac(o.device);
    request.set_persistent(o.persistent);
    request.set_force(o.force);
    return SubmitDomainOperation(env, o.name, o.mutation, &Stub::DetachNetworkInterface, request);
  });

  CLI::App* net_list =
      app.add_subcommand("network-list", "List a domain's network interfaces (xl network-list)");
  net_list->add_option("NAME", o.name, "The domain")->required();
  registry.Add(net_list, "network-list", [&o](CommandEnv& env) {
    return RunList(env, o.name, DeviceStatus::NETWORK_INTERFACE);
  });

  CLI::App* pci_attach =
      AddDeviceVerb(app, "pci-attach",
                    "Pass an assignable host PCI device through to a running PV or HVM domain", o);
  pci_attach->add_option("BDF", o.device, "The device in xl syntax: '0000:03:00.0,permissive=1'")
      ->required();
  AddPersistentFlag(pci_attach, o, "add it to");
  registry.Add(pci_attach, "pci-attach", [&o](CommandEnv& env) {
    xenia::v1::AttachPciDeviceRequest request;
    request.set_pci_spec(o.device);
    request.set_persistent(o.persistent);
    return SubmitDomainOperation(env, o.name, o.mutation, &Stub::AttachPciDevice, request);
  });

  CLI::App* pci_detach =
      AddDeviceVerb(app, "pci-detach", "Take a passed-through PCI device back from a domain", o);
  pci_detach->add_option("BDF", o.device, "The device, e.g. 0000:03:00.0")->required();
  AddPersistentFlag(pci_detach, o, "remove it from");
  AddForceFlag(pci_detach, o);
  registry.Add(pci_detach, "pci-detach", [&o](CommandEnv& env) {
    xenia::v1::DetachPciDeviceRequest request;
    request.set_bdf(o.device);
    request.set_persistent(o.persistent);
    request.set_force(o.force);
    return SubmitDomainOperation(env, o.name, o.mutation, &Stub::DetachPciDevice, request);
  });

  CLI::App* pci_list =
      app.add_subcommand("pci-list", "List the PCI devices passed through to a domain");
  pci_list->add_option("NAME", o.name, "The domain")->required();
  registry.Add(pci_list, "pci-list",
               [&o](CommandEnv& env) { return RunList(env, o.name, DeviceStatus::PCI); });

  CLI::App* assignable = app.add_subcommand(
      "pci-assignable-list",
      "List the host's PCI devices that can be passed through, and who holds each");
  registry.Add(assignable, "pci-assignable-list",
               [](CommandEnv& env) { return RunAssignableList(env); });
}

}  // namespace xenia::cli
