#include "store/state_lock.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace inboxd::store {
namespace {

namespace fs = std::filesystem;

class StateLockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("state_lock_test." + std::to_string(::getpid()) + "." +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

mode_t ModeOf(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 0777;
}

TEST_F(StateLockTest, CreatesThePrivateDirAndRecordsThePid) {
  auto lock = StateLock::Acquire(dir_.string());
  ASSERT_TRUE(lock) << lock.error().ToString();
  EXPECT_EQ(ModeOf(dir_), 0700u);
  EXPECT_EQ(ModeOf((*lock)->path()), 0600u);
  std::ifstream in((*lock)->path());
  int pid = 0;
  in >> pid;
  EXPECT_EQ(pid, ::getpid());
}

TEST_F(StateLockTest, ASecondHolderIsRefusedNamingThePid) {
  auto first = StateLock::Acquire(dir_.string());
  ASSERT_TRUE(first) << first.error().ToString();
  // flock(2) locks belong to the open file description, so a second open in
  // the same process conflicts just as another process would.
  auto second = StateLock::Acquire(dir_.string());
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, core::Code::kFailedPrecondition);
  EXPECT_NE(second.error().message.find("pid " + std::to_string(::getpid())),
            std::string::npos)
      << second.error().message;
}

TEST_F(StateLockTest, ReleasedOnDestructionAndWhenTheHolderDies) {
  {
    auto first = StateLock::Acquire(dir_.string());
    ASSERT_TRUE(first);
  }
  EXPECT_TRUE(StateLock::Acquire(dir_.string()));
  // A holder killed with SIGKILL leaves the file but not the lock.
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The parent's probes may hold it for a moment: try until it is ours.
    for (int i = 0; i < 500; ++i) {
      auto held = StateLock::Acquire(dir_.string());
      if (held) ::pause();
      ::usleep(2000);
    }
    ::_exit(3);
    ::_exit(0);
  }
  // Wait until the child holds it.
  bool held_by_child = false;
  for (int i = 0; i < 200 && !held_by_child; ++i) {
    auto probe = StateLock::Acquire(dir_.string());
    held_by_child = !probe;
    if (!held_by_child) {
      probe->reset();
      ::usleep(10000);
    }
  }
  EXPECT_TRUE(held_by_child);
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  EXPECT_TRUE(StateLock::Acquire(dir_.string()));
}

TEST_F(StateLockTest, SecureStateDirNarrowsOldFiles) {
  fs::create_directories(dir_);
  ::chmod(dir_.c_str(), 0755);
  const fs::path db = dir_ / "inboxd.db";
  std::ofstream(db) << "x";
  ::chmod(db.c_str(), 0644);
  ASSERT_TRUE(SecureStateDir(dir_.string()));
  EXPECT_EQ(ModeOf(dir_), 0700u);
  EXPECT_EQ(ModeOf(db), 0600u);
}

}  // namespace
}  // namespace inboxd::store
