# The ptvsd-dap demo: a small WSGI web app with ptvsd enabled for remote attach, the way an
# App Service site does it in its WSGI entry point. The secret comes from the WSGI_PTVSD_SECRET
# environment variable. ptvsd and the web server both bind port 0 (a free port the system
# picks, so no other program can take it in between), and the ready line reports both.
import os
import socket
import sys
from wsgiref.simple_server import make_server, WSGIRequestHandler
from urllib.parse import parse_qs

import ptvsd

# enable_attach does not say which port it bound: note it as its socket starts listening.
PTVSD_PORTS = []
_listen = socket.socket.listen


def _noting_listen(sock, *args):
    PTVSD_PORTS.append(sock.getsockname()[1])
    return _listen(sock, *args)


socket.socket.listen = _noting_listen
try:
    ptvsd.enable_attach(os.environ['WSGI_PTVSD_SECRET'], address=('127.0.0.1', 0))
finally:
    socket.socket.listen = _listen

VISITS = {'count': 0}


def hello(environ, start_response):
    query = parse_qs(environ.get('QUERY_STRING', ''))
    name = query.get('name', ['world'])[0]
    VISITS['count'] += 1
    greeting = 'Hello, %s! You are visitor %d.' % (name, VISITS['count'])  # @demo_bp
    print('served %s' % name)
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [greeting.encode('utf-8')]


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


server = make_server('127.0.0.1', 0, hello, handler_class=QuietHandler)
print('demo app ready on http://127.0.0.1:%d ptvsd %d' % (server.server_port, PTVSD_PORTS[0]))
sys.stdout.flush()
server.serve_forever()
