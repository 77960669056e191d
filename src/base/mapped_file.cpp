#include "base/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "base/error.h"

namespace g4 {

MappedFile::MappedFile(const std::string& path, bool use_mmap) : path_(path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(Status::io, "cannot open '" + path + "': " + std::strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    fail(Status::io, "'" + path + "' is not a readable regular file");
  }
  size_ = static_cast<size_t>(st.st_size);
  if (size_ == 0) {
    ::close(fd);
    data_ = reinterpret_cast<const uint8_t*>("");
    return;
  }
  if (use_mmap) {
    void* p = mmap(nullptr, size_, PROT_READ, MAP_SHARED, fd, 0);
    if (p != MAP_FAILED) {
      data_ = static_cast<const uint8_t*>(p);
      mapped_ = true;
      ::close(fd);
      return;
    }
  }
  uint8_t* buf = static_cast<uint8_t*>(std::malloc(size_));
  if (!buf) {
    ::close(fd);
    fail(Status::out_of_memory, "cannot allocate " + std::to_string(size_) + " bytes for '" + path + "'");
  }
  size_t got = 0;
  while (got < size_) {
    ssize_t n = ::read(fd, buf + got, size_ - got);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      std::free(buf);
      ::close(fd);
      fail(Status::io, "read error on '" + path + "'");
    }
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  data_ = buf;
}

MappedFile::~MappedFile() {
  if (size_ == 0) return;
  if (mapped_)
    munmap(const_cast<uint8_t*>(data_), size_);
  else
    std::free(const_cast<uint8_t*>(data_));
}

}  // namespace g4
