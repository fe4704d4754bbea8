#include "common/thread_name.h"

#include <pthread.h>

#include <string>

namespace xenia {

void SetThreadName(const char* name) {
  std::string cut(name);
  if (cut.size() > 15) cut.resize(15);
  pthread_setname_np(pthread_self(), cut.c_str());
}

}  // namespace xenia
