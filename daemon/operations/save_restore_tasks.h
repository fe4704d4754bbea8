// The tasks behind SaveDomain and RestoreDomain: a domain's memory and state
// into a save image in the image directory and back.
//
// A save writes the image through a staging file and gives it its name only
// once the whole stream is on disk; then it records the image, and (unless
// it is a checkpoint) destroys the suspended guest and marks the domain
// SUSPENDED. A save that fails leaves the domain as it was and no file.
// A restore reads and verifies the whole image before the domain counts as
// running; one that fails leaves nothing in the hypervisor.
//
// Thread-safety: see OperationTask. The ImageDirectory is borrowed and must
// outlive the tasks.
#pragma once

#include <memory>
#include <string>

#include "daemon/images/image_directory.h"
#include "daemon/operations/operation_task.h"
#include "daemon/stream/byte_stream.h"
#include "daemon/stream/image_reader.h"
#include "xenia/v1/domain_stream.pb.h"

namespace xenia {

// Where a save streamed to its caller goes (SaveDomainToStream): the image's
// bytes, then Drain, which returns once every byte has left for the caller,
// or says why it could not (the caller went away or stopped reading).
class CallerImageSink : public stream::ByteSink {
 public:
  virtual absl::Status Drain() = 0;
};

// Saves the domain to `path` under the image directory (empty: a name made
// of the domain's name and the time). With `checkpoint` the domain keeps
// running (or stays paused).
std::unique_ptr<OperationTask> MakeSaveDomainTask(images::ImageDirectory& images, std::string path,
                                                  bool checkpoint);

// Saves the domain into `sink`, for the caller that asked; nothing is kept
// on this host. The domain is SUSPENDED afterwards (unless `checkpoint`) with
// no save image: only the caller's copy can bring it back. If the caller goes
// away before it has every byte, the guest runs on as before.
std::unique_ptr<OperationTask> MakeSaveToCallerTask(std::shared_ptr<CallerImageSink> sink,
                                                    bool checkpoint);

// Restores the domain from the image it was last saved to (it must be
// SUSPENDED).
std::unique_ptr<OperationTask> MakeRestoreSuspendedTask(images::ImageDirectory& images,
                                                        bool paused);

// Restores the domain an image at `path` holds, whose head the caller has
// read: a domain that is not defined is defined from the image's spec first
// (and removed again if the restore fails); a defined one must be shut off
// or suspended.
std::unique_ptr<OperationTask> MakeRestoreImageTask(images::ImageDirectory& images,
                                                    std::string path, stream::ImageHead head,
                                                    bool paused);

// As MakeRestoreImageTask, for an image the caller streams (its head
// already read from the start of `source`, which yields the whole image).
std::unique_ptr<OperationTask> MakeRestoreFromCallerTask(std::shared_ptr<stream::ByteSource> source,
                                                         stream::ImageHead head, bool paused);

}  // namespace xenia
