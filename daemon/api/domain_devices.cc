// DomainService's device verbs: AttachDisk/DetachDisk,
// AttachNetworkInterface/DetachNetworkInterface, AttachPciDevice/
// DetachPciDevice (each an operation on the domain's queue,
// operations/device_tasks.h), and ListDomainDevices, which reads the
// hypervisor's device table live as xl block-list does.
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "daemon/api/domain_service.h"
#include "daemon/api/domain_service_internal.h"
#include "daemon/api/status_mapping.h"
#include "daemon/domain/spec_validation.h"
#include "daemon/hypervisor/disk_targets.h"
#include "daemon/hypervisor/libxl/xl_cfg.h"
#include "daemon/operations/device_tasks.h"
#include "daemon/operations/domain_lifecycle.h"

namespace xenia {
namespace {

using namespace domain_service_internal;  // NOLINT: DomainService's own helpers
using xenia::v1::Operation;

// The longest xl device spec string a request may carry.
constexpr size_t kMaxSpecText = 4096;

// The device a request gives either as a message or as xl spec text.
template <typename Device>
absl::StatusOr<Device> DeviceOfRequest(bool has_message, const Device& message,
                                       const std::string& text, absl::string_view message_field,
                                       absl::string_view text_field,
                                       absl::StatusOr<Device> (*import)(absl::string_view),
                                       bool text_may_be_empty) {
  if (has_message && !text.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("give ", message_field, " or ", text_field, ", not both"));
  }
  if (text.size() > kMaxSpecText) {
    return absl::InvalidArgumentError(
        absl::StrCat(text_field, ": at most ", kMaxSpecText, " characters, got ", text.size()));
  }
  if (has_message) return message;
  if (text.empty() && !text_may_be_empty) {
    return absl::InvalidArgumentError(
        absl::StrCat(message_field, " or ", text_field, ": one is required"));
  }
  return import(text);
}

absl::Status CheckId(absl::string_view field, const std::string& id) {
  if (id.empty()) return absl::InvalidArgumentError(absl::StrCat(field, ": required"));
  if (id.size() > 64) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": at most 64 characters"));
  }
  return absl::OkStatus();
}

}  // namespace

grpc::ServerUnaryReactor* DomainServiceImpl::AttachDisk(grpc::CallbackServerContext* ctx,
                                                        const xenia::v1::AttachDiskRequest* request,
                                                        Operation* response) {
  return SubmitVerb(
      ctx, "AttachDisk", *request, request->name(), request->request_id(), response,
      [request]() -> absl::StatusOr<std::unique_ptr<OperationTask>> {
        absl::StatusOr<xenia::v1::Disk> disk = DeviceOfRequest<xenia::v1::Disk>(
            request->has_disk(), request->disk(), request->disk_spec(), "disk", "disk_spec",
            &hv::ImportXlDisk, false);
        if (!disk.ok()) return disk.status();
        if (absl::Status s = ValidateDisk(*disk, "disk"); !s.ok()) return s;
        xenia::v1::DomainSpec one;
        *one.add_disks() = *disk;
        if (std::vector<std::string> missing = hv::DiskTargetProblems(one); !missing.empty()) {
          return absl::InvalidArgumentError(
              absl::StrReplaceAll(absl::StrJoin(missing, "; "), {{"disks[0]", "disk"}}));
        }
        DeviceChange change;
        change.kind = hv::DeviceKind::kDisk;
        change.disk = *std::move(disk);
        change.persistent = request->persistent();
        return MakeAttachDeviceTask(std::move(change));
      });
}

grpc::ServerUnaryReactor* DomainServiceImpl::DetachDisk(grpc::CallbackServerContext* ctx,
                                                        const xenia::v1::DetachDiskRequest* request,
                                                        Operation* response) {
  return SubmitVerb(ctx, "DetachDisk", *request, request->name(), request->request_id(), response,
                    [request]() -> absl::StatusOr<std::unique_ptr<OperationTask>> {
                      if (absl::Status s = CheckId("vdev", request->vdev()); !s.ok()) return s;
                      DeviceChange change;
                      change.kind = hv::DeviceKind::kDisk;
                      change.id = request->vdev();
                      change.persistent = request->persistent();
                      change.force = request->force();
                      return MakeDetachDeviceTask(std::move(change));
                    });
}

grpc::ServerUnaryReactor* DomainServiceImpl::AttachNetworkInterface(
    grpc::CallbackServerContext* ctx, const xenia::v1::AttachNetworkInterfaceRequest* request,
    Operation* response) {
  return SubmitVerb(
      ctx, "AttachNetworkInterface", *request, request->name(), request->request_id(), response,
      [request]() -> absl::StatusOr<std::unique_ptr<OperationTask>> {
        // An empty vif spec is a default interface, as `xl network-attach
        // DOMAIN` makes.
        absl::StatusOr<xenia::v1::NetworkInterface> nic =
            DeviceOfRequest<xenia::v1::NetworkInterface>(
                request->has_network_interface(), request->network_interface(), request->vif_spec(),
                "network_interface", "vif_spec", &hv::ImportXlVif, true);
        if (!nic.ok()) return nic.status();
        if (absl::Status s = ValidateNetworkInterface(*nic, "network_interface"); !s.ok()) {
          return s;
        }
        DeviceChange change;
        change.kind = hv::DeviceKind::kNic;
        change.nic = *std::move(nic);
        change.persistent = request->persistent();
        return MakeAttachDeviceTask(std::move(change));
      });
}

grpc::ServerUnaryReactor* DomainServiceImpl::DetachNetworkInterface(
    grpc::CallbackServerContext* ctx, const xenia::v1::DetachNetworkInterfaceRequest* request,
    Operation* response) {
  return SubmitVerb(ctx, "DetachNetworkInterface", *request, request->name(), request->request_id(),
                    response, [request]() -> absl::StatusOr<std::unique_ptr<OperationTask>> {
                      if (absl::Status s = CheckId("mac", request->mac()); !s.ok()) return s;
                      DeviceChange change;
                      change.kind = hv::DeviceKind::kNic;
                      change.id = request->mac();
                      change.persistent = request->persistent();
                      change.force = request->force();
                      return MakeDetachDeviceTask(std::move(change));
                    });
}

grpc::ServerUnaryReactor* DomainServiceImpl::AttachPciDevice(
    grpc::CallbackServerContext* ctx, const xenia::v1::AttachPciDeviceRequest* request,
    Operation* response) {
  return SubmitVerb(ctx, "AttachPciDevice", *request, request->name(), request->request_id(),
                    response, [request]() -> absl::StatusOr<std::unique_ptr<OperationTask>> {
                      absl::StatusOr<xenia::v1::PciDevice> pci =
                          DeviceOfRequest<xenia::v1::PciDevice>(
                              request->has_pci_device(), request->pci_device(), request->pci_spec(),
                              "pci_device", "pci_spec", &hv::ImportXlPci, false);
                      if (!pci.ok()) return pci.status();
                      if (absl::Status s = ValidatePciDevice(*pci, "pci_device"); !s.ok()) return s;
                      DeviceChange change;
                      change.kind = hv::DeviceKind::kPci;
                      change.pci = *std::move(pci);
                      change.pci.set_bdf(hv::NormalizePciAddress(change.pci.bdf()));
                      change.persistent = request->persistent();
                      return MakeAttachDeviceTask(std::move(change));
                    });
}

grpc::ServerUnaryReactor* DomainServiceImpl::DetachPciDevice(
    grpc::CallbackServerContext* ctx, const xenia::v1::DetachPciDeviceRequest* request,
    Operation* response) {
  return SubmitVerb(ctx, "DetachPciDevice", *request, request->name(), request->request_id(),
                    response, [request]() -> absl::StatusOr<std::unique_ptr<OperationTask>> {
                      if (absl::Status s = CheckId("bdf", request->bdf()); !s.ok()) return s;
                      if (!hv::IsPciAddress(request->bdf())) {
                        return absl::InvalidArgumentError(absl::StrCat(
                            "bdf: \"", request->bdf(), "\" is not a PCI address ([DDDD:]BB:DD.F)"));
                      }
                      DeviceChange change;
                      change.kind = hv::DeviceKind::kPci;
                      change.id = hv::NormalizePciAddress(request->bdf());
                      change.persistent = request->persistent();
                      change.force = request->force();
                      return MakeDetachDeviceTask(std::move(change));
                    });
}

grpc::ServerUnaryReactor* DomainServiceImpl::ListDomainDevices(
    grpc::CallbackServerContext* ctx, const xenia::v1::ListDomainDevicesRequest* request,
    xenia::v1::ListDomainDevicesResponse* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  absl::StatusOr<Caller> caller = gate_.Admit(*ctx, FullMethod("ListDomainDevices"));
  if (!caller.ok()) return Fail(reactor, caller.status());
  if (absl::Status s = CheckNoUnknownFields(*request); !s.ok()) return Fail(reactor, s);
  if (!xenia::v1::DeviceStatus::Kind_IsValid(request->kind())) {
    return Fail(reactor, absl::InvalidArgumentError(
                             absl::StrCat("kind: unknown device kind ", request->kind())));
  }
  absl::StatusOr<std::string> domain = ParseDomainName(names_, request->name());
  if (!domain.ok()) return Fail(reactor, domain.status());
  std::optional<hv::DomainRef> ref;
  if (std::optional<DomainEntry> entry = registry_.GetByName(*domain); entry.has_value()) {
    if (entry->status.has_domid()) ref = RefOf(*entry);
  } else if (std::optional<hv::DomainFacts> facts = unmanaged_.Get(*domain); facts.has_value()) {
    ref = hv::DomainRef{facts->domid, facts->uuid};
  } else {
    return Fail(reactor, absl::NotFoundError(absl::StrCat("domain \"", *domain, "\" not found")));
  }
  // A domain that does not run has no devices in the hypervisor.
  if (!ref.has_value()) {
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
  absl::StatusOr<std::vector<hv::DeviceFacts>> devices =
      hypervisor_.ListDevices(hv::OpContext{}, *ref);
  if (!devices.ok()) {
    // Gone since the registry last saw it: it has no devices.
    if (devices.status().code() == absl::StatusCode::kNotFound) {
      reactor->Finish(grpc::Status::OK);
      return reactor;
    }
    return Fail(reactor, devices.status());
  }
  for (const hv::DeviceFacts& d : *devices) {
    xenia::v1::DeviceStatus status = hv::DeviceStatusOf(d);
    if (request->kind() != xenia::v1::DeviceStatus::KIND_UNSPECIFIED &&
        status.kind() != request->kind()) {
      continue;
    }
    *response->add_devices() = std::move(status);
  }
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace xenia
