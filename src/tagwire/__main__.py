from tagwire.cli import main

main()
