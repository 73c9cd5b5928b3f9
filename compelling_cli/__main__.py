from compelling_cli.cli import main

main()
