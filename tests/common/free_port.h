/* A free loopback port, for the servers the tests start. */
#ifndef CH_TEST_FREE_PORT_H
#define CH_TEST_FREE_PORT_H

/** A TCP port on 127.0.0.1 that was free just now (bound to port 0, then
 *  closed): another process may take it before it is used, which the
 *  tests accept. Aborts the test when no socket can be bound. */
int ch_free_port(void);

#endif /* CH_TEST_FREE_PORT_H */
