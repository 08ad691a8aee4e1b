#include "store/types.h"

#include <array>
#include <utility>

namespace inboxd::store {

namespace {

template <typename E, size_t N>
core::Result<E> ParseName(
    const std::array<std::pair<E, std::string_view>, N>& names,
    std::string_view s, std::string_view what) {
  for (const auto& [value, name] : names) {
    if (name == s) return value;
  }
  return core::Fail(core::Error::InvalidArgument(
      "unknown " + std::string(what) + " \"" + std::string(s) + "\""));
}

template <typename E, size_t N>
std::string_view NameOf(
    const std::array<std::pair<E, std::string_view>, N>& names, E e) {
  for (const auto& [value, name] : names) {
    if (value == e) return name;
  }
  return "?";
}

constexpr std::array<std::pair<Role, std::string_view>, 2> kRoles = {{
    {Role::kIncoming, "incoming"},
    {Role::kSent, "sent"},
}};
constexpr std::array<std::pair<MessageState, std::string_view>, 3>
    kMessageStates = {{
        {MessageState::kStored, "stored"},
        {MessageState::kProcessed, "processed"},
        {MessageState::kQuarantined, "quarantined"},
    }};
constexpr std::array<std::pair<TicketState, std::string_view>, 3>
    kTicketStates = {{
        {TicketState::kOpen, "open"},
        {TicketState::kWaiting, "waiting"},
        {TicketState::kClosed, "closed"},
    }};
constexpr std::array<std::pair<MilestoneState, std::string_view>, 3>
    kMilestoneStates = {{
        {MilestoneState::kOpen, "open"},
        {MilestoneState::kMet, "met"},
        {MilestoneState::kMissed, "missed"},
    }};
constexpr std::array<std::pair<OutboxState, std::string_view>, 5>
    kOutboxStates = {{
        {OutboxState::kQueued, "queued"},
        {OutboxState::kSending, "sending"},
        {OutboxState::kSent, "sent"},
        {OutboxState::kDeferred, "deferred"},
        {OutboxState::kFailed, "failed"},
    }};

}  // namespace

std::string_view ToString(Role role) { return NameOf(kRoles, role); }
std::string_view ToString(MessageState state) {
  return NameOf(kMessageStates, state);
}
std::string_view ToString(TicketState state) {
  return NameOf(kTicketStates, state);
}
std::string_view ToString(MilestoneState state) {
  return NameOf(kMilestoneStates, state);
}
std::string_view ToString(OutboxState state) {
  return NameOf(kOutboxStates, state);
}

core::Result<Role> ParseRole(std::string_view s) {
  return ParseName(kRoles, s, "role");
}
core::Result<MessageState> ParseMessageState(std::string_view s) {
  return ParseName(kMessageStates, s, "message state");
}
core::Result<TicketState> ParseTicketState(std::string_view s) {
  return ParseName(kTicketStates, s, "ticket state");
}
core::Result<MilestoneState> ParseMilestoneState(std::string_view s) {
  return ParseName(kMilestoneStates, s, "milestone state");
}
core::Result<OutboxState> ParseOutboxState(std::string_view s) {
  return ParseName(kOutboxStates, s, "outbox state");
}

}  // namespace inboxd::store
