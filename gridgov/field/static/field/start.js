/* Pages without their own script (e.g. "cannot report") still start the shared parts: outbox badge, service worker. */
/* global GG */
GG.start();
