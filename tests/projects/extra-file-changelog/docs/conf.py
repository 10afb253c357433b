project = 'demo'
release = '1.2.3'
version = '1.2'
