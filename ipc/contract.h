// ipc contracts: what a method or a topic is, as a typed constant.
//
// A service's methods and topics are declared once, in its header under
// ipc/contracts/, and both ends use that declaration:
//   inline constexpr ipc::Method<schema::ResolveRequest, schema::ResolveReply>
//       kDirectoryResolve{...};                                  // ipc/contracts/directory.h
//   client.call(contracts::kDirectoryResolve, request, options)  // Result<ResolveReply>
//   server.handle(contracts::kDirectoryResolve, handler)         // typed on both
// Client, Server, Publisher and Subscriber take only these declarations, so
// a method or topic name is never spelled at a call site.
//
// A payload is a protobuf message (serialized by ipc on the way out, parsed
// and refused if unparsable on the way in) or std::string (raw bytes, for
// tests and benchmarks). Each request carries its method's request and
// reply type names; a server refuses a request whose types differ from its
// own declaration of the method (Errc::invalid), so two builds that
// disagree about a contract fail loudly instead of misreading records.
#pragma once

#include <google/protobuf/message_lite.h>

#include <concepts>
#include <string>
#include <string_view>
#include <utility>

namespace parley::ipc {

template <class T>
concept Payload = std::same_as<T, std::string> || std::derived_from<T, google::protobuf::MessageLite>;

// A request/reply method: its name on the wire and its two record types.
template <Payload Request, Payload Reply>
class Method {
 public:
  using request_type = Request;
  using reply_type = Reply;
  consteval explicit Method(std::string_view name) : name_(name) {}
  constexpr std::string_view name() const { return name_; }

 private:
  std::string_view name_;
};

// A family of pub/sub topics sharing a prefix: "mailbox." + account. The
// key is what follows the prefix ("" for a topic without one). Subscribers
// filter by prefix (every key) or by prefix and key (one).
template <Payload Event>
class Topic {
 public:
  using event_type = Event;
  consteval explicit Topic(std::string_view prefix) : prefix_(prefix) {}
  constexpr std::string_view prefix() const { return prefix_; }
  std::string name(std::string_view key) const { return std::string(prefix_) + std::string(key); }

 private:
  std::string_view prefix_;
};

namespace detail {

template <Payload T>
std::string encode(const T& value) {
  if constexpr (std::same_as<T, std::string>) {
    return value;
  } else {
    return value.SerializeAsString();
  }
}

// False when `bytes` is not a T.
template <Payload T>
bool decode(std::string bytes, T& out) {
  if constexpr (std::same_as<T, std::string>) {
    out = std::move(bytes);
    return true;
  } else {
    return out.ParseFromString(bytes);
  }
}

template <Payload T>
std::string type_name() {
  if constexpr (std::same_as<T, std::string>) {
    return "bytes";
  } else {
    return T::default_instance().GetTypeName();
  }
}

// What a request carries in RequestHeader.types: "REQUEST REPLY".
template <Payload Request, Payload Reply>
const std::string& signature() {
  static const std::string s = type_name<Request>() + " " + type_name<Reply>();
  return s;
}

}  // namespace detail

}  // namespace parley::ipc
