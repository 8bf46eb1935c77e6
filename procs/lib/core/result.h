// Result<T>: the value of an operation that can fail in an expected way
// (bad input, peer error, I/O, timeout, not found). Exceptions are kept for
// start-up and for library edges that throw; the data path returns these.
//
// Errc is a closed set; each protocol maps it to its wire replies in one
// place. `detail` is for the log, never for the peer.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace parley {

enum class Errc {
  syntax,       // malformed input
  limit,        // input exceeds a configured or protocol limit
  invalid,      // well-formed but not acceptable (bad value, bad state)
  not_found,
  exists,
  denied,       // permission or authentication
  unavailable,  // peer or resource not there now; retry may help
  timeout,      // deadline passed
  io,           // operating system error
  internal,     // a bug or broken invariant
  cancelled,
};

std::string_view errc_name(Errc code);

struct Error {
  Errc code;
  std::string detail;
};

inline Error fail(Errc code, std::string detail = {}) { return Error{code, std::move(detail)}; }

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { return std::get<1>(v_); }
  Errc code() const { return error().code; }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }
  Errc code() const { return error_.code; }

 private:
  Error error_{Errc::internal, {}};
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace parley
