# The ptvsd-dap demo: a small WSGI web app with ptvsd enabled for remote attach, the way an
# App Service site does it in its WSGI entry point. Arguments: <ptvsd port> <http port>; the
# secret comes from the WSGI_PTVSD_SECRET environment variable.
import os
import sys
from wsgiref.simple_server import make_server, WSGIRequestHandler
from urllib.parse import parse_qs

import ptvsd

ptvsd.enable_attach(os.environ['WSGI_PTVSD_SECRET'], address=('127.0.0.1', int(sys.argv[1])))

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


server = make_server('127.0.0.1', int(sys.argv[2]), hello, handler_class=QuietHandler)
print('demo app ready on http://127.0.0.1:%d' % server.server_port)
sys.stdout.flush()
server.serve_forever()
