// shutdown.h: the process-wide shutdown request.
//
// `inboxd run` sets it from its signal thread on SIGTERM or SIGINT. Every
// network wait (IMAP connect, read and write, IDLE, SMTP dialogue) polls it
// at least every kShutdownPoll and gives up with kUnavailable
// ("interrupted: shutting down"), and the stage loops (process, plan, drain,
// watch) stop between two messages, so the daemon commits what it finished
// and exits within seconds whatever the servers do. A message whose work was
// interrupted is picked up again on the next start, as after a crash.
//
// One flag for the process on purpose: a signal stops everything, and
// threading a stop token through libcurl callbacks, the IMAP client and every
// stage would add a parameter to dozens of calls for the same answer.
#pragma once

#include <chrono>

namespace inboxd::core {

// How often a blocking network wait looks at the flag.
inline constexpr std::chrono::milliseconds kShutdownPoll{200};
// How long a transfer already under way (a FETCH literal, an APPEND, an SMTP
// dialogue) may go on after the request, so that the current message is
// finished rather than cut (a cut SMTP DATA is the crash case the outbox
// recovers from; a finished one is not).
inline constexpr std::chrono::milliseconds kShutdownGrace{2000};

// Thread-safe and async-signal-safe (lock-free atomics).
void RequestShutdown();
bool ShutdownRequested();
// True once the request is older than kShutdownGrace: a network wait that
// sees this gives up.
bool ShutdownGraceOver();
// For tests and for a process that handles several runs: clears the flag.
void ResetShutdown();

}  // namespace inboxd::core
