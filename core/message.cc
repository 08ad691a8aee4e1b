#include "core/message.h"

#include "core/text.h"

namespace inboxd::core {

std::string Address::Domain() const {
  size_t at = addr.rfind('@');
  if (at == std::string::npos) return "";
  return AsciiLower(std::string_view(addr).substr(at + 1));
}

std::string Address::Local() const {
  size_t at = addr.rfind('@');
  return AsciiLower(std::string_view(addr).substr(0, at));
}

const std::string* Message::Header(std::string_view name) const {
  for (const auto& h : headers) {
    if (IEquals(h.name, name)) return &h.value;
  }
  return nullptr;
}

std::vector<std::string_view> Message::HeaderAll(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const auto& h : headers) {
    if (IEquals(h.name, name)) out.push_back(h.value);
  }
  return out;
}

}  // namespace inboxd::core
