from tripwire.cli.main import run

run()
