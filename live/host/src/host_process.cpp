// Command functions: posix_spawn, pipes and a pidfd, all awaited through Asio.
#include "host_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <memory>
#include <mutex>
#include <system_error>
#include <utility>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace fogsched::live {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;

std::system_error errno_error(const char* what) { return std::system_error(errno, std::generic_category(), what); }

// Writing to a stdin pipe whose reader has exited raises SIGPIPE, which would end
// the whole host; sockets avoid it per call (MSG_NOSIGNAL), pipes cannot.
void ignore_sigpipe() {
  static std::once_flag once;
  std::call_once(once, [] { std::signal(SIGPIPE, SIG_IGN); });
}

class FileDescriptor {
 public:
  FileDescriptor() = default;
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(FileDescriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  FileDescriptor& operator=(FileDescriptor&& other) noexcept {
    reset();
    fd_ = std::exchange(other.fd_, -1);
    return *this;
  }
  ~FileDescriptor() { reset(); }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

struct Pipe {
  FileDescriptor read;
  FileDescriptor write;
  Pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw errno_error("pipe2");
    read = FileDescriptor(fds[0]);
    write = FileDescriptor(fds[1]);
  }
};

class SpawnSetup {
 public:
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attributes);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;
};

// What the coroutine shares with the completion handlers of the pipes and timers;
// it lives until the last of them has run. Every access is on the coroutine's one
// thread.
struct Exchange {
  Exchange(const asio::any_io_executor& executor, pid_t child)
      : input(executor),
        output(executor),
        errors(executor),
        exited(executor),
        streams_done(executor),
        deadline(executor),
        pid(child) {
    streams_done.expires_at(asio::steady_timer::time_point::max());
  }
  ~Exchange() {
    if (!reaped) {  // abandoned (shutdown): leave no process and no zombie behind
      ::kill(-pid, SIGKILL);
      while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
  }
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  void stream_finished() {
    if (--pending_streams == 0) streams_done.cancel();
  }
  void close_pipes() {
    error_code ignored;
    input.close(ignored);
    output.close(ignored);
    errors.close(ignored);
  }

  asio::posix::stream_descriptor input, output, errors, exited;
  asio::steady_timer streams_done;  // cancelled when stdin, stdout and stderr are done
  asio::steady_timer deadline;
  std::string in_data, out, err;
  int pending_streams = 3;
  bool timed_out = false;
  bool reaped = false;
  pid_t pid;
};

}  // namespace

asio::awaitable<ProcessOutcome> run_process(ProcessRequest request) {
  ignore_sigpipe();
  if (request.argv.empty()) throw std::system_error(std::make_error_code(std::errc::invalid_argument), "no program");
  const asio::any_io_executor executor = co_await asio::this_coro::executor;

  Pipe stdin_pipe, stdout_pipe, stderr_pipe;
  SpawnSetup setup;
  posix_spawn_file_actions_adddup2(&setup.actions, stdin_pipe.read.get(), STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&setup.actions, stdout_pipe.write.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&setup.actions, stderr_pipe.write.get(), STDERR_FILENO);
  // Its own process group, so a timeout kills what it started too; signals as new.
  sigset_t no_signals, default_signals;
  sigemptyset(&no_signals);
  sigemptyset(&default_signals);
  sigaddset(&default_signals, SIGPIPE);
  posix_spawnattr_setflags(&setup.attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&setup.attributes, 0);
  posix_spawnattr_setsigmask(&setup.attributes, &no_signals);
  posix_spawnattr_setsigdefault(&setup.attributes, &default_signals);

  std::vector<char*> argv;
  for (std::string& arg : request.argv) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (std::string& variable : request.environment) envp.push_back(variable.data());
  envp.push_back(nullptr);

  pid_t pid = 0;
  if (const int error = ::posix_spawnp(&pid, argv[0], &setup.actions, &setup.attributes, argv.data(), envp.data());
      error != 0) {
    throw std::system_error(error, std::generic_category(), request.argv.front());
  }
  stdin_pipe.read.reset();
  stdout_pipe.write.reset();
  stderr_pipe.write.reset();

  // By system call: glibc 2.36's <sys/pidfd.h> declares pidfd_open without C linkage.
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  auto exchange = std::make_shared<Exchange>(executor, pid);  // reaps the child from here on
  if (pidfd < 0) throw errno_error("pidfd_open");
  exchange->exited.assign(pidfd);
  exchange->input.assign(stdin_pipe.write.release());
  exchange->output.assign(stdout_pipe.read.release());
  exchange->errors.assign(stderr_pipe.read.release());
  exchange->in_data = std::move(request.input);

  asio::async_write(exchange->input, asio::buffer(exchange->in_data), [exchange](error_code, std::size_t) {
    error_code ignored;
    exchange->input.close(ignored);  // EOF on the child's stdin
    exchange->stream_finished();
  });
  // A reader that stops (at the limit) closes its end, so the child is not left
  // blocked on a full pipe.
  const auto read_all = [&](asio::posix::stream_descriptor& pipe, std::string& into) {
    asio::async_read(pipe, asio::dynamic_buffer(into, request.output_limit),
                     [exchange, &pipe](error_code, std::size_t) {
                       error_code ignored;
                       pipe.close(ignored);
                       exchange->stream_finished();
                     });
  };
  read_all(exchange->output, exchange->out);
  read_all(exchange->errors, exchange->err);
  if (request.timeout > Duration::zero()) {
    exchange->deadline.expires_after(request.timeout);
    exchange->deadline.async_wait([exchange](error_code ec) {
      if (ec || exchange->reaped) return;
      exchange->timed_out = true;
      ::kill(-exchange->pid, SIGKILL);
      exchange->close_pipes();  // a grandchild outside the group may still hold them
    });
  }

  error_code ec;
  if (exchange->pending_streams > 0) {
    co_await exchange->streams_done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  co_await exchange->exited.async_wait(asio::posix::stream_descriptor::wait_read,
                                       asio::redirect_error(asio::use_awaitable, ec));
  if (ec) ::kill(-pid, SIGKILL);  // cannot tell when it ends: end it
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  exchange->reaped = true;
  exchange->deadline.cancel();

  ProcessOutcome outcome;
  outcome.timed_out = exchange->timed_out;
  if (WIFEXITED(status)) outcome.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) outcome.signal = WTERMSIG(status);
  outcome.out = std::move(exchange->out);
  outcome.err = std::move(exchange->err);
  co_return outcome;
}

}  // namespace fogsched::live
