#include "aidi/inst/ppk2_simulator.hpp"

#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>

namespace aidi::inst {

namespace {

std::uint64_t nowNs() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
}

// Arguments each opcode takes (the ones the kit's app sends).
int argumentsOf(std::uint8_t op) {
  switch (static_cast<ppk2::Op>(op)) {
    case ppk2::Op::AverageStart:
    case ppk2::Op::AverageStop:
    case ppk2::Op::GetMetadata:
    case ppk2::Op::Reset: return 0;
    case ppk2::Op::DeviceRunningSet:
    case ppk2::Op::SetPowerMode: return 1;
    case ppk2::Op::RegulatorSet: return 2;
  }
  return -1;
}

}  // namespace

ppk2::Calibration Ppk2SimulatorOptions::defaultCalibration() {
  ppk2::Calibration c;
  c.calibrated = true;
  c.r = {1003.37, 101.559, 10.3626, 0.9472, 0.0457};
  c.gs = {0.0, 0.0012, 0.0006, 0.0, 0.0};
  c.gi = {0.9987, 1.0021, 0.9954, 1.0032, 0.9978};
  c.o = {112.74, 76.32, 64.51, 58.02, 53.18};
  c.s = {2.1e-7, 1.9e-7, 0.0, 0.0, 0.0};
  c.i = {-3.1e-7, 2.4e-7, 0.0, 0.0, 0.0};
  c.ug = {1.0, 1.0, 1.0, 1.0, 1.0};
  c.other = {{"hw", "173437"}, {"ia", "56"}, {"mode", "2"}, {"vdd", "3300"}};
  return c;
}

Ppk2Simulator::Ppk2Simulator(Ppk2SimulatorOptions options) : m_options(std::move(options)), m_rng(m_options.seed) {}

Result<std::unique_ptr<Ppk2Simulator>> Ppk2Simulator::start(Ppk2SimulatorOptions options) {
  std::unique_ptr<Ppk2Simulator> sim(new Ppk2Simulator(std::move(options)));
  sim->m_master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (sim->m_master < 0) return fail(ErrorCode::Io, std::string("PPK2 simulator: no pseudo-terminal (") + std::strerror(errno) + ")");
  if (::grantpt(sim->m_master) != 0 || ::unlockpt(sim->m_master) != 0)
    return fail(ErrorCode::Io, std::string("PPK2 simulator: cannot unlock the pseudo-terminal (") + std::strerror(errno) + ")");
  const char* name = ::ptsname(sim->m_master);
  if (!name) return fail(ErrorCode::Io, "PPK2 simulator: the pseudo-terminal has no name");
  sim->m_path = name;
  // Holding the slave open in raw mode: no echo of the stream back into the
  // simulator before the driver sets its own mode, and no hang-up between
  // the driver's opens.
  sim->m_slave = ::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (sim->m_slave < 0) return fail(ErrorCode::Io, "PPK2 simulator: cannot open " + sim->m_path);
  termios t{};
  if (::tcgetattr(sim->m_slave, &t) == 0) {
    ::cfmakeraw(&t);
    (void)::tcsetattr(sim->m_slave, TCSANOW, &t);
  }
  (void)::fcntl(sim->m_master, F_SETFL, ::fcntl(sim->m_master, F_GETFL) | O_NONBLOCK);
  sim->m_thread = std::thread([s = sim.get()] { s->serve(); });
  return sim;
}

Ppk2Simulator::~Ppk2Simulator() {
  m_stop = true;
  if (m_thread.joinable()) m_thread.join();
  if (m_master >= 0) ::close(m_master);
  if (m_slave >= 0) ::close(m_slave);
}

Ppk2Simulator::State Ppk2Simulator::state() const {
  std::lock_guard lock(m_mutex);
  return m_state;
}

void Ppk2Simulator::unplug() {
  std::lock_guard lock(m_mutex);
  if (m_master >= 0) ::close(m_master);
  if (m_slave >= 0) ::close(m_slave);
  m_master = m_slave = -1;
}

bool Ppk2Simulator::writeAll(const void* data, std::size_t n) {
  const auto* p = static_cast<const std::uint8_t*>(data);
  std::size_t done = 0;
  while (done < n) {
    const ssize_t w = ::write(m_master, p + done, n - done);
    if (w > 0) {
      done += static_cast<std::size_t>(w);
      continue;
    }
    if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
      pollfd q{m_master, POLLOUT, 0};
      if (::poll(&q, 1, 50) <= 0) return false;  // nobody reads: the kit's buffer overflows
      continue;
    }
    return false;
  }
  return true;
}

void Ppk2Simulator::handle(const std::uint8_t* bytes, std::size_t n) {
  m_input.insert(m_input.end(), bytes, bytes + n);
  std::size_t at = 0;
  while (at < m_input.size()) {
    const std::uint8_t op = m_input[at];
    const int args = argumentsOf(op);
    if (args < 0) {
      ++m_state.unknownCommands;  // the kit ignores what it does not know
      ++at;
      continue;
    }
    if (at + 1 + static_cast<std::size_t>(args) > m_input.size()) break;  // the rest comes later
    const std::uint8_t* a = &m_input[at + 1];
    ++m_state.commands;
    switch (static_cast<ppk2::Op>(op)) {
      case ppk2::Op::GetMetadata: {
        const std::string text = ppk2::formatMetadata(m_options.calibration);
        (void)writeAll(text.data(), text.size());
        break;
      }
      case ppk2::Op::AverageStart:
        m_state.streaming = true;
        m_streamStartNs = nowNs();
        m_streamSamples = 0;
        break;
      case ppk2::Op::AverageStop: m_state.streaming = false; break;
      case ppk2::Op::DeviceRunningSet: m_state.dutPowered = a[0] != 0; break;
      case ppk2::Op::SetPowerMode:
        if (a[0] == 1 || a[0] == 2) m_state.mode = static_cast<ppk2::PowerMode>(a[0]);
        break;
      case ppk2::Op::RegulatorSet: {
        const int mv = ppk2::sourceMillivolts(a[0], a[1]);
        m_state.sourceMillivolts = mv < ppk2::kSourceMinMillivolts ? ppk2::kSourceMinMillivolts
                                   : mv > ppk2::kSourceMaxMillivolts ? ppk2::kSourceMaxMillivolts
                                                                     : mv;
        break;
      }
      case ppk2::Op::Reset:
        m_state.streaming = false;
        m_state.dutPowered = false;
        break;
    }
    at += 1 + static_cast<std::size_t>(args);
  }
  m_input.erase(m_input.begin(), m_input.begin() + static_cast<std::ptrdiff_t>(at));
}

double Ppk2Simulator::currentNow(double t) const {
  const double volts = m_state.sourceMillivolts * 1e-3;
  if (m_state.mode == ppk2::PowerMode::Ampere) return m_options.load ? m_options.load(t, volts, true) : m_options.ampereModeAmps;
  if (m_options.load) return m_options.load(t, volts, m_state.dutPowered);
  return m_state.dutPowered ? volts / m_options.loadOhms : 0.0;
}

void Ppk2Simulator::stream() {
  // Samples due by the wall clock since AverageStart, in chunks.
  const std::uint64_t due = (nowNs() - m_streamStartNs) / 10'000;  // 10 us a sample
  if (due <= m_streamSamples) return;
  const std::uint64_t count = std::min<std::uint64_t>(due - m_streamSamples, 4000);
  std::vector<std::uint8_t> out;
  out.reserve(count * 4 + 64);
  const double vdd = m_state.sourceMillivolts * 1e-3;
  for (std::uint64_t k = 0; k < count; ++k) {
    const std::uint64_t index = m_state.samplesSent + m_state.samplesDropped;
    const bool faulty = m_options.fault != Ppk2Fault::None && index >= m_options.faultAfterSamples;
    if (faulty && m_options.fault == Ppk2Fault::Unplug) {
      if (!out.empty()) (void)writeAll(out.data(), out.size());
      ::close(m_master);
      ::close(m_slave);
      m_master = m_slave = -1;
      return;
    }
    const bool atFault = faulty && (index - m_options.faultAfterSamples) % m_options.faultEvery == 0;
    if (atFault && m_options.fault == Ppk2Fault::Stall && !m_stalled) {
      m_stalled = true;
      if (!out.empty()) (void)writeAll(out.data(), out.size());
      // The kit's buffer overflows meanwhile: the stall's samples are lost.
      std::this_thread::sleep_for(std::chrono::milliseconds(m_options.faultStallMs));
      const std::uint64_t lost = static_cast<std::uint64_t>(m_options.faultStallMs) * 100;
      m_state.samplesDropped += lost;
      m_counter = static_cast<std::uint8_t>((m_counter + lost) & 63u);
      m_streamSamples += lost;
      return;
    }
    if (atFault && m_options.fault == Ppk2Fault::DropSamples) {
      m_state.samplesDropped += m_options.faultBytes;
      m_counter = static_cast<std::uint8_t>((m_counter + m_options.faultBytes) & 63u);
    }
    if (atFault && m_options.fault == Ppk2Fault::Garbage) {
      for (std::uint32_t g = 0; g < m_options.faultBytes; ++g) {
        m_rng = m_rng * 1664525u + 1013904223u;
        out.push_back(static_cast<std::uint8_t>(m_rng >> 24));
      }
      m_state.garbageBytes += m_options.faultBytes;
    }
    const double t = static_cast<double>(index) / ppk2::kSampleRateHz;
    ppk2::RawSample s;
    if (!ppk2::encodeAmps(m_options.calibration, currentNow(t), vdd, s)) s = ppk2::RawSample{0x3FFF, 4, 0, 0};
    s.counter = m_counter;
    s.logic = m_state.dutPowered ? 1 : 0;  // channel 0 follows DUT power, as a probe on the DUT's rail would
    m_counter = static_cast<std::uint8_t>((m_counter + 1) & 63u);
    const std::uint32_t word = ppk2::pack(s);
    for (int b = 0; b < 4; ++b) out.push_back(static_cast<std::uint8_t>(word >> (8 * b)));
    ++m_state.samplesSent;
  }
  m_streamSamples += count;
  if (!writeAll(out.data(), out.size())) {
    // Nobody reads: like the kit, drop what does not fit (the counter tells).
  }
}

void Ppk2Simulator::serve() {
  std::uint8_t buffer[256];
  while (!m_stop) {
    int fd;
    {
      std::lock_guard lock(m_mutex);
      fd = m_master;
    }
    if (fd < 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      continue;
    }
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, 1);
    std::lock_guard lock(m_mutex);
    if (m_master < 0) continue;
    if (ready > 0 && (p.revents & POLLIN)) {
      const ssize_t n = ::read(m_master, buffer, sizeof buffer);
      if (n > 0) handle(buffer, static_cast<std::size_t>(n));
    }
    if (m_state.streaming) stream();
  }
}

}  // namespace aidi::inst
