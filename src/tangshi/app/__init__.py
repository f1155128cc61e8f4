"""What a person uses: the `tangshi` command and the poem-writing page (server, web/ assets).

The top floor: imports any layer below; nothing imports it but the console script.
"""
