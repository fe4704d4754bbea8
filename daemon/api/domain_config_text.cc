// DomainService's config methods: ParseDomainConfig reads an xl.cfg (with
// libxlutil, through the libxl backend's mapping), JSON or YAML into a
// DomainSpec and validates it as CreateDomain would; ExportDomainConfig
// writes a managed domain's spec back out in any of the three.
#include "absl/strings/str_cat.h"
#include "common/spec_text/json_yaml.h"
#include "common/spec_text/message_text.h"
#include "daemon/api/domain_service.h"
#include "daemon/api/domain_service_internal.h"
#include "daemon/api/status_mapping.h"
#include "daemon/domain/spec_validation.h"
#include "daemon/hypervisor/libxl/xl_cfg.h"

namespace xenia {
namespace {

using namespace domain_service_internal;  // NOLINT: DomainService's own helpers
using xenia::v1::ConfigFormat;

// An xl.cfg is a few KiB; a megabyte is far past any real one.
constexpr size_t kMaxConfigText = 1 << 20;

absl::StatusOr<xenia::v1::ParseDomainConfigResponse> Parse(
    const xenia::v1::ParseDomainConfigRequest& request) {
  if (request.text().size() > kMaxConfigText) {
    return absl::InvalidArgumentError(absl::StrCat(
        "text: ", request.text().size(), " bytes; a config is at most ", kMaxConfigText, " bytes"));
  }
  const std::string source = request.source().empty() ? "<request>" : request.source();
  xenia::v1::ParseDomainConfigResponse response;
  switch (request.format()) {
    case xenia::v1::XL: {
      absl::StatusOr<hv::XlImport> imported = hv::ImportXlConfig(request.text(), source);
      if (!imported.ok()) return imported.status();
      *response.mutable_spec() = std::move(imported->spec);
      for (std::string& note : imported->notes) response.add_warnings(std::move(note));
      break;
    }
    case xenia::v1::JSON:
    case xenia::v1::YAML: {
      absl::StatusOr<xenia::v1::DomainSpec> spec = spec_text::ParseDomainSpec(
          request.text(), source,
          request.format() == xenia::v1::JSON ? spec_text::SpecFormat::kJson
                                              : spec_text::SpecFormat::kYaml);
      if (!spec.ok()) return spec.status();
      *response.mutable_spec() = *std::move(spec);
      break;
    }
    default:
      return absl::InvalidArgumentError("format: required (XL, JSON or YAML)");
  }
  // Validated as CreateDomain would, on a copy: the answer is the spec as
  // written, so that writing it out again gives the same text.
  xenia::v1::DomainSpec checked = response.spec();
  if (absl::Status s = ValidateAndDefaultSpec(&checked); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": ", s.message()));
  }
  return response;
}

absl::StatusOr<std::string> Render(const xenia::v1::DomainSpec& spec, ConfigFormat format) {
  switch (format) {
    case xenia::v1::CONFIG_FORMAT_UNSPECIFIED:
    case xenia::v1::XL:
      return hv::ExportXlConfig(spec);
    case xenia::v1::JSON:
      return spec_text::MessageToJson(spec);
    case xenia::v1::YAML:
      return spec_text::MessageToYaml(spec);
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("format: unknown value ", static_cast<int>(format), " (XL, JSON or YAML)"));
  }
}

}  // namespace

grpc::ServerUnaryReactor* DomainServiceImpl::ParseDomainConfig(
    grpc::CallbackServerContext* ctx, const xenia::v1::ParseDomainConfigRequest* request,
    xenia::v1::ParseDomainConfigResponse* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  absl::StatusOr<Caller> caller = gate_.Admit(*ctx, FullMethod("ParseDomainConfig"));
  if (!caller.ok()) return Fail(reactor, caller.status());
  if (absl::Status s = CheckNoUnknownFields(*request); !s.ok()) return Fail(reactor, s);
  absl::StatusOr<xenia::v1::ParseDomainConfigResponse> parsed = Parse(*request);
  if (!parsed.ok()) return Fail(reactor, parsed.status());
  *response = *std::move(parsed);
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* DomainServiceImpl::ExportDomainConfig(
    grpc::CallbackServerContext* ctx, const xenia::v1::ExportDomainConfigRequest* request,
    xenia::v1::DomainConfigText* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  absl::StatusOr<Caller> caller = gate_.Admit(*ctx, FullMethod("ExportDomainConfig"));
  if (!caller.ok()) return Fail(reactor, caller.status());
  if (absl::Status s = CheckNoUnknownFields(*request); !s.ok()) return Fail(reactor, s);
  absl::StatusOr<std::string> name = names_.ParseDomain("name", request->name());
  if (!name.ok()) return Fail(reactor, name.status());
  std::optional<DomainEntry> entry = registry_.GetByName(*name);
  if (!entry.has_value()) {
    if (std::optional<hv::DomainFacts> stranger = unmanaged_.Get(*name); stranger.has_value()) {
      if (stranger->domid == 0) {
        return Fail(reactor, absl::FailedPreconditionError(
                                 "Domain-0 is the control domain; it has no definition to export"));
      }
      return Fail(reactor, NotManaged(*name));
    }
    absl::StatusOr<std::string> valid = ParseDomainName(names_, request->name());
    if (!valid.ok()) return Fail(reactor, valid.status());
    return Fail(reactor, absl::NotFoundError(absl::StrCat("domain \"", *name, "\" not found")));
  }
  absl::StatusOr<std::string> text = Render(entry->spec, request->format());
  if (!text.ok()) return Fail(reactor, text.status());
  response->set_format(request->format() == xenia::v1::CONFIG_FORMAT_UNSPECIFIED
                           ? xenia::v1::XL
                           : request->format());
  response->set_text(*std::move(text));
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace xenia
