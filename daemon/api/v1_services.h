// The full names of every xenia.v1 service, in one list: the server registers
// them, the health service reports them, the call gate reads their policies,
// and a test checks that each method carries one.
#pragma once

#include <array>

namespace xenia {

inline constexpr std::array<const char*, 9> kV1Services = {
    "xenia.v1.HostService",   "xenia.v1.DomainService",    "xenia.v1.OperationService",
    "xenia.v1.EventService",  "xenia.v1.MigrationService", "xenia.v1.AgentService",
    "xenia.v1.AccessService", "xenia.v1.FleetService",     "xenia.v1.SimulatorService",
};

// Makes sure every xenia.v1 proto file is in the generated descriptor pool.
void LinkV1Descriptors();

}  // namespace xenia
