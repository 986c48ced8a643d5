#include "aidi/inst/subprocess.hpp"

#include <gtest/gtest.h>
#include <signal.h>

using namespace aidi::inst;
using namespace std::chrono_literals;

TEST(Subprocess, ReportsExitCodeAndOutput) {
  auto child = Subprocess::spawn({"sh", "-c", "echo hello; echo oops >&2; exit 3"});
  ASSERT_TRUE(child) << child.error().message;
  auto code = child->wait(5000ms);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 3);
  EXPECT_EQ(child->output(), "hello\noops\n");
  EXPECT_EQ(child->lastOutputLine(), "oops");
}

TEST(Subprocess, ArgumentsAreNotInterpretedByAShell) {
  auto child = Subprocess::spawn({"echo", "$HOME; rm -rf /"});
  ASSERT_TRUE(child);
  ASSERT_TRUE(child->wait(5000ms));
  EXPECT_EQ(child->output(), "$HOME; rm -rf /\n");
}

TEST(Subprocess, MissingProgramIsNotFound) {
  auto child = Subprocess::spawn({"/nonexistent/program", "x"});
  ASSERT_FALSE(child);
  EXPECT_EQ(child.error().code, ErrorCode::NotFound);
  EXPECT_NE(child.error().message.find("/nonexistent/program"), std::string::npos);
}

TEST(Subprocess, WaitTimesOutThenTerminateStopsTheChild) {
  auto child = Subprocess::spawn({"sleep", "30"});
  ASSERT_TRUE(child);
  auto code = child->wait(50ms);
  ASSERT_FALSE(code);
  EXPECT_EQ(code.error().code, ErrorCode::Timeout);
  const pid_t pid = child->pid();
  child->terminate(1000ms);
  EXPECT_EQ(child->exitCode(), 128 + SIGTERM);
  EXPECT_NE(::kill(pid, 0), 0) << "child must be gone";
}

TEST(Subprocess, DestructorStopsARunningChild) {
  pid_t pid = -1;
  {
    auto child = Subprocess::spawn({"sleep", "30"});
    ASSERT_TRUE(child);
    pid = child->pid();
  }
  EXPECT_NE(::kill(pid, 0), 0);
}
