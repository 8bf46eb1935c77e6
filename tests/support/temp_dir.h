// A fresh directory for a test (under /dev/shm when it exists: tests sync
// often and need no disk), removed with its contents on destruction.
#pragma once

#include <string>
#include <string_view>

namespace parley::testkit {

class TempDir {
 public:
  // `stem` starts the directory's name, which says whose it was if left
  // behind. Throws std::runtime_error when no directory can be made.
  explicit TempDir(std::string_view stem);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // The path of `name` inside it.
  std::string file(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

}  // namespace parley::testkit
