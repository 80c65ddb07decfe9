// A 3.1.1-only MQTT broker (aedes) on 127.0.0.1:<port>, for the protocol-fallback tests: it answers an MQTT 5
// CONNECT the standard 3.1.1 way, with CONNACK return code 1 (unacceptable protocol version).
// Usage: NODE_PATH=<folder>/node_modules node aedes-broker.js <port>
'use strict';
const net = require('net');
const aedesModule = require('aedes');

async function createBroker() {
  // aedes 1.x exports Aedes.createBroker(); 0.x exported a factory function.
  if (aedesModule.Aedes && typeof aedesModule.Aedes.createBroker === 'function') {
    return aedesModule.Aedes.createBroker();
  }
  if (typeof aedesModule.createBroker === 'function') {
    return aedesModule.createBroker();
  }
  return aedesModule();
}

createBroker().then((broker) => {
  const port = parseInt(process.argv[2], 10);
  const server = net.createServer(broker.handle);
  server.listen(port, '127.0.0.1', () => console.log(`aedes listening on 127.0.0.1:${port}`));
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
});
