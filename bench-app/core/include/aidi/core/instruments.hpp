// The instruments as the faces see them: serial ports of this machine, the
// supply drivers, VISA-style resources, and the simulated instruments that
// `aidi virtual-psu` serves (a SCPI supply on TCP, a PPK2 on a pseudo-terminal, an
// Otii server on TCP). The drivers themselves stay behind the core.
#pragma once

#include "aidi/inst/otii_simulator.hpp"
#include "aidi/inst/ppk2_simulator.hpp"
#include "aidi/inst/registry.hpp"
#include "aidi/inst/scpi_psu_simulator.hpp"
#include "aidi/inst/serial_ports.hpp"
#include "aidi/inst/visa_resource.hpp"

namespace aidi::core {
using inst::listSerialPorts;
using inst::parseVisaResource;
using inst::OtiiSimulator;
using inst::OtiiSimulatorOptions;
using inst::Ppk2Simulator;
using inst::Ppk2SimulatorOptions;
using inst::ScpiPsuSimulator;
using inst::ScpiPsuSimulatorOptions;
using inst::SerialPortInfo;
using inst::supplyDrivers;
}  // namespace aidi::core
