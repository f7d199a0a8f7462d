// The services the test suite needs, set up in order and stopped in reverse. Each module's
// setup() returns { env, stop }: env is merged into the environment of the test processes.
// Add a service by adding a module here.
import * as docker from './docker.mjs';
import * as chromium from './chromium.mjs';
import * as pebble from './pebble.mjs';
import * as compose from './compose.mjs';
import * as podman from './podman.mjs';

export const services = [
  { name: 'docker', setup: docker.setup },
  { name: 'chromium', setup: chromium.setup },
  { name: 'pebble', setup: pebble.setup },
  { name: 'compose', setup: compose.setup },
  { name: 'podman', setup: podman.setup },
];
